#include "BuildInfo.h"

// Both values are defined by Package.swift (cSettings), from its version constant and from the
// package's git information at build time.
const char *steward_version(void) { return STEWARD_VERSION; }
const char *steward_git_commit(void) { return STEWARD_GIT_COMMIT; }
