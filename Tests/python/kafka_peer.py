"""An independent Kafka client (confluent-kafka, librdkafka 2.16) that feeds and reads steward,
so the end-to-end checks do not trust steward's own adapter."""
import functools
import json
import time
import uuid

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic


def create_topics(bootstrap, names, partitions):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(n, num_partitions=partitions, replication_factor=1) for n in names],
                                  operation_timeout=10)
    for name, future in futures.items():
        try:
            future.result(timeout=15)
        except Exception as error:  # noqa: BLE001 - already existing is fine
            if "already exists" not in str(error).lower() and "TOPIC_ALREADY_EXISTS" not in str(error):
                raise


@functools.lru_cache(maxsize=None)
def hides_aborted_records(bootstrap):
    """Whether the broker hides an aborted transaction's records from read_committed readers.

    Apache Kafka does (its fetch responses list aborted transactions, which the client drops).
    Tansu 0.6 does not: its fetch responses carry an empty list, so once a transaction is aborted
    its records are read as committed, and exactly-once across a crash cannot be observed there."""
    topic = f"abort-probe-{uuid.uuid4().hex[:8]}"
    create_topics(bootstrap, [topic], 1)
    producer = Producer({"bootstrap.servers": bootstrap, "transactional.id": topic})
    producer.init_transactions(30)
    for value, commit in ((b"before", True), (b"aborted", False), (b"after", True)):
        producer.begin_transaction()
        producer.produce(topic, value)
        producer.flush(30)
        if commit:
            producer.commit_transaction(30)
        else:
            producer.abort_transaction(30)
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": topic, "isolation.level": "read_committed",
                         "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, 0, 0)])
    seen = []
    deadline = time.time() + 30
    while b"after" not in seen and time.time() < deadline:
        message = consumer.poll(0.5)
        if message is not None and not message.error():
            seen.append(message.value())
    consumer.close()
    assert b"after" in seen, f"the probe's committed records did not arrive: {seen}"
    return b"aborted" not in seen


def produce(bootstrap, topic, values, keys=None):
    """Produces values in order; returns [(partition, offset)] per value."""
    positions = [None] * len(values)
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 5})

    def report(index):
        def callback(error, message):
            assert error is None, error
            positions[index] = (message.partition(), message.offset())
        return callback

    for index, value in enumerate(values):
        key = keys[index] if keys else f"k{index}".encode()
        while True:
            try:
                producer.produce(topic, value=value, key=key, on_delivery=report(index))
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
    assert producer.flush(30) == 0
    assert all(p is not None for p in positions)
    return positions


def consume_all(bootstrap, topics, expected, timeout=60, group=None):
    """Reads topics from the beginning (read_committed) until `expected` messages or timeout."""
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": group or f"peer-{time.time_ns()}",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "isolation.level": "read_committed",
        "session.timeout.ms": 6000,
    })
    consumer.subscribe(topics)
    out = {t: [] for t in topics}
    deadline = time.time() + timeout
    count = 0
    idle_after_expected = None
    while time.time() < deadline:
        message = consumer.poll(0.5)
        if message is None:
            if count >= expected:
                # Keep reading a little longer to catch duplicates beyond the expected count.
                idle_after_expected = idle_after_expected or time.time()
                if time.time() - idle_after_expected > 2:
                    break
            continue
        if message.error():
            if message.error().code() == KafkaError._PARTITION_EOF:
                continue
            raise RuntimeError(message.error())
        out[message.topic()].append((message.partition(), message.offset(), message.value()))
        count += 1
    consumer.close()
    return out
