#ifndef STEWARD_CRDKAFKA_SHIM_H
#define STEWARD_CRDKAFKA_SHIM_H
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#endif
