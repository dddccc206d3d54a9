"""Several instances of one stateful topology (`steward run --scale-out`), judged by the outcome: the
chats topology on four input partitions, run by one to four instances with different batch sizes,
and by three instances killed with SIGKILL at random moments and restarted, must publish what one
uninterrupted `steward replay` over the same four partitions publishes — every output byte for
byte, in the replay's order within each output partition, the audit log included."""
import json
import os
import random
import signal
import subprocess
import threading
import time
import uuid

import pytest

from kafka_peer import consume_all, produce
from test_stream_state import NOISE_KEY, ROOT, chats_topology, replay_partitions

OUTPUTS = ["sanitized", "dlq", "aggregates", "alerts", "audit"]


def prepare(steward_bin, broker, tmp_path, delivery, halves=False, name=None):
    """A chats topology under a fresh name, its input produced (all of it, or its first half and a
    function that produces the second), and what one replay over the four partitions publishes."""
    name = name or f"so{uuid.uuid4().hex[:8]}"
    topology = chats_topology(tmp_path, name, delivery)
    # Audit entries every 50 records of a partition: a dozen entries, each covering records of
    # several partitions in merged order.
    topology.write_text(topology.read_text() + "\naudit:\n  every: 50\n")
    topic = f"{name}-in"
    values = (ROOT / "Topologies" / "samples" / "chats.jsonl").read_bytes().splitlines()
    keys = [b"c%d" % (i % 7) for i in range(len(values))]
    cut = len(values) // 2 if halves else len(values)
    positions = produce(broker.bootstrap, topic, values[:cut], keys=keys[:cut])
    env = dict(broker.env, STEWARD_NOISE_KEY=NOISE_KEY)

    def rest():
        positions.extend(produce(broker.bootstrap, topic, values[cut:], keys=keys[cut:]))
        assert len({p for p, _ in positions}) == 4
        return replay_partitions(steward_bin, topology, topic, values, positions, tmp_path, env)

    return name, topology, env, (rest if halves else rest())


def command(steward_bin, broker, topology, name, instance, max_batch):
    return [steward_bin, "run", str(topology), "--brokers", broker.bootstrap, "--group", f"{name}-group",
            "--instance-id", instance, "--max-batch", str(max_batch), "--scale-out",
            "--property", "session.timeout.ms=6000", "--max-task-idle-ms", "3000"]


def start(args, env):
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.log = []
    threading.Thread(target=lambda: proc.log.extend(proc.stderr), daemon=True).start()
    return proc


def check_outputs(broker, name, expected, duplicates_allowed):
    """Every output equals the replay's, byte for byte and in the replay's order per output partition."""
    topics = [f"{name}.{o}" for o in OUTPUTS]
    total = sum(len(expected.get(t, {})) for t in topics)
    seen = consume_all(broker.bootstrap, topics, expected=total, timeout=120)
    published = 0
    for topic in topics:
        want = expected.get(topic, {})
        order = {event_id: index for index, event_id in enumerate(want)}
        first_copy = {}
        per_partition = {}
        for partition, _, value in seen[topic]:
            published += 1
            event_id = json.loads(value)["id"]
            if event_id in first_copy:
                assert first_copy[event_id] == value, f"{topic}: a duplicate of {event_id} differs"
                continue
            first_copy[event_id] = value
            per_partition.setdefault(partition, []).append(event_id)
        missing = sorted(set(want) - set(first_copy))[:5]
        extra = sorted(set(first_copy) - set(want))[:5]
        assert not missing and not extra, f"{topic}: missing {missing}, unexpected {extra}"
        differing = [i for i in want if want[i] != first_copy[i]]
        assert not differing, f"{topic}: {len(differing)} messages differ from the replay, e.g. {differing[:3]}"
        for partition, ids in per_partition.items():
            ranks = [order[i] for i in ids]
            assert ranks == sorted(ranks), f"{topic} partition {partition}: not in the replay's order"
    assert len(expected[f"{name}.aggregates"]) >= 8 and len(expected[f"{name}.audit"]) >= 15
    assert published - total <= duplicates_allowed, f"{published - total} duplicates"


@pytest.mark.parametrize("instances,max_batch", [(1, 500), (2, 40), (4, 7)])
def test_instances_and_batches_change_no_published_byte(steward_bin, mock_broker, tmp_path, instances, max_batch):
    name, topology, env, expected = prepare(steward_bin, mock_broker, tmp_path, "exactly_once")
    procs = [start(command(steward_bin, mock_broker, topology, name, f"i{k}", max_batch) + ["--idle-timeout", "12"], env)
             for k in range(instances)]
    for proc in procs:
        proc.wait(timeout=300)
        assert proc.returncode == 0, "".join(proc.log)[-3000:]
    owners = [p for p in procs if any("stream task assigned" in line for line in p.log)]
    assert owners, "no instance ran the stream part"
    if instances > 1:
        handed = [p for p in procs if any("part=record stages (scale-out)" in l or "record stages (scale-out)" in l
                                          for l in p.log)]
        assert len(handed) == instances
    # Rebalances while instances join can abort a transaction; librdkafka's mock cluster shows an
    # aborted transaction's records, so a few identical duplicates are allowed there.
    check_outputs(mock_broker, name, expected, duplicates_allowed=instances * (max_batch + 10))


def test_killed_instances_of_a_scaled_out_topology_publish_what_one_replay_publishes(steward_bin, mock_broker, tmp_path):
    # As in test_stream_state: the mock cluster writes no transaction markers, so crash consistency
    # there is at-least-once (duplicates, never different bytes).
    name, topology, env, produce_rest = prepare(steward_bin, mock_broker, tmp_path, "at_least_once", halves=True)
    rng = random.Random(11)
    procs = {k: start(command(steward_bin, mock_broker, topology, name, f"i{k}", 40), env) for k in range(3)}

    def owner():
        """The instance whose latest stream-task line says it owns the stream part (waits for one)."""
        deadline = time.time() + 30
        while time.time() < deadline:
            for k, proc in procs.items():
                lines = [l for l in proc.log if "stream task" in l]
                if lines and "stream task assigned" in lines[-1]:
                    return k
            time.sleep(0.2)
        raise AssertionError("no instance took the stream part within 30 s")

    expected = None
    for kill in range(6):
        if kill == 3:
            # The second half of the input arrives while the group recovers from the kills.
            expected = produce_rest()
        time.sleep(rng.uniform(0.5, 2.5))
        # Every other kill is the stream part's owner, at a random moment of its work.
        victim = owner() if kill % 2 == 0 else rng.choice(list(procs))
        procs[victim].send_signal(signal.SIGKILL)
        procs[victim].wait()
        procs[victim] = start(command(steward_bin, mock_broker, topology, name, f"i{victim}", 40), env)
    for proc in procs.values():
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    # The group waits out the killed members' sessions before it hands out partitions again.
    final = [start(command(steward_bin, mock_broker, topology, name, f"i{k}", 40) + ["--idle-timeout", "25"], env)
             for k in range(3)]
    for proc in final:
        proc.wait(timeout=300)
        assert proc.returncode == 0, "".join(proc.log)[-3000:]
    # Each kill can leave visible what its open transactions held (a batch of each part), and the
    # final kill of all three the same again.
    check_outputs(mock_broker, name, expected, duplicates_allowed=(6 + 3) * (40 + 10) * 2)


def test_a_scaled_out_run_keeps_one_verifiable_audit_log(steward_bin, tmp_path):
    """Two instances, outputs on one partition each (so a dump keeps publication order): the dump
    verifies as one signed log, complete, and a modified sanitized event is named by id."""
    name = f"sv{uuid.uuid4().hex[:8]}"
    outputs = [f"{name}.{o}" for o in OUTPUTS]
    # A broker of its own whose output topics have one partition (the input is created on first
    # use with the mock's four).
    broker_proc = subprocess.Popen([steward_bin, "broker", "--port", "0", "--partitions", "1",
                                    *[arg for t in outputs for arg in ("--topic", t)]],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        bootstrap = broker_proc.stdout.readline().strip()

        class Private:
            pass
        broker = Private()
        broker.bootstrap, broker.env = bootstrap, dict(os.environ)
        audit_key = "3c" * 32
        broker.env["STEWARD_AUDIT_KEY"] = audit_key
        _, topology, env, expected = prepare(steward_bin, broker, tmp_path, "exactly_once", name=name)
        procs = [start(command(steward_bin, broker, topology, name, f"i{k}", 40) + ["--idle-timeout", "12"], env)
                 for k in range(2)]
        for proc in procs:
            proc.wait(timeout=300)
            assert proc.returncode == 0, "".join(proc.log)[-3000:]
        check_outputs(broker, name, expected, duplicates_allowed=2 * 50)
        pubkey = subprocess.run([steward_bin, "audit", "pubkey"], env=env, capture_output=True, text=True,
                                check=True).stdout.strip()
        done = subprocess.run([steward_bin, "audit", "verify", "--brokers", bootstrap, "--name", name, "--pubkey",
                               pubkey, "--complete"], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        assert json.loads(done.stdout)["outputs"] == sum(len(expected[t]) for t in outputs if t != f"{name}.audit")

        # The same log from a dump, then with one sanitized event changed.
        seen = consume_all(bootstrap, outputs, expected=sum(len(expected[t]) for t in outputs))
        dump = tmp_path / "dump"
        dump.mkdir()
        for t in outputs:
            (dump / f"{t}.jsonl").write_bytes(b"".join(v + b"\n" for _, _, v in sorted(seen[t], key=lambda m: m[1])))
        args = [steward_bin, "audit", "verify", "--audit", str(dump / f"{name}.audit.jsonl"), "--outputs", str(dump),
                "--pubkey", pubkey]
        assert subprocess.run(args, env=env, capture_output=True).returncode == 0
        sanitized = dump / f"{name}.sanitized.jsonl"
        rows = sanitized.read_bytes().splitlines()
        victim = json.loads(rows[1234])
        victim["data"]["text"] = "changed"
        rows[1234] = json.dumps(victim, separators=(",", ":")).encode()
        sanitized.write_bytes(b"".join(r + b"\n" for r in rows))
        tampered = subprocess.run(args, env=env, capture_output=True, text=True)
        assert tampered.returncode == 1
        assert victim["id"] in tampered.stderr or "do not hash to the root" in tampered.stderr, tampered.stderr
    finally:
        broker_proc.terminate()
        broker_proc.wait(timeout=10)
