"""Durable stream state, judged by the outcome: the chats topology on four input partitions, its
`steward run` killed with SIGKILL at random moments and restarted, must publish exactly what one
uninterrupted `steward replay` over the same four partitions publishes — sanitized records,
dead letters, the aggregates with their noisy values, and the audit log — on both brokers.

On Tansu the run is exactly-once. librdkafka's mock cluster writes no transaction markers (aborted
records stay visible), so there the run is at-least-once: the state is written after the outputs
are acknowledged, and a re-read publishes duplicates, never different bytes."""
import collections
import json
import os
import pathlib
import random
import signal
import subprocess
import threading
import time
import uuid

from kafka_peer import consume_all, create_topics, hides_aborted_records, produce

ROOT = pathlib.Path(__file__).resolve().parents[2]
PARTITIONS = 4
NOISE_KEY = "3c" * 32
# Kills per broker here; `STEWARD_CHAOS_KILLS=200` for the long run quoted in Docs/state.md.
KILLS = int(os.environ.get("STEWARD_CHAOS_KILLS", "6"))


def chats_topology(directory, name, delivery):
    """The shipped chats topology under another name and input topic, with its model path made absolute."""
    text = (ROOT / "Topologies" / "chats.yaml").read_text()
    text = text.replace("name: chats", f"name: {name}", 1).replace("  topic: chats\n", f"  topic: {name}-in\n", 1)
    text = text.replace("../Models/", f"{ROOT}/Models/").replace("delivery: exactly_once", f"delivery: {delivery}")
    path = pathlib.Path(directory) / f"{name}.yaml"
    path.write_text(text)
    return path


def replay_partitions(steward_bin, topology, topic, values, positions, workdir, env):
    """One replay over every partition's lines (in offset order); returns {topic: {id: bytes}}."""
    per_partition = collections.defaultdict(list)
    for value, (partition, offset) in zip(values, positions):
        per_partition[partition].append((offset, value))
    args = [steward_bin, "replay", str(topology), "--topic", topic, "--output-dir", str(workdir / "replay")]
    for partition in sorted(per_partition):
        rows = sorted(per_partition[partition])
        assert [o for o, _ in rows] == list(range(len(rows))), "a fresh topic's offsets start at 0"
        lines = workdir / f"in-{partition}.jsonl"
        lines.write_bytes(b"".join(v + b"\n" for _, v in rows))
        args += ["--input", str(lines), "--partition", str(partition)]
    subprocess.run(args, check=True, capture_output=True, env=env)
    out = {}
    for file in (workdir / "replay").glob("*.jsonl"):
        out[file.stem] = {json.loads(line)["id"]: line for line in file.read_bytes().splitlines()}
    return out


def chats_sample_loaded(broker, directory, name, delivery):
    """The chats topology as `name`, its sample loaded on four input partitions: (topology, input
    topic, output topics, values, positions)."""
    topology = chats_topology(directory, name, delivery)
    topic = f"{name}-in"
    outputs = [f"{name}.sanitized", f"{name}.dlq", f"{name}.aggregates", f"{name}.alerts", f"{name}.audit"]
    if broker.name != "mock":
        create_topics(broker.bootstrap, [topic, *outputs], PARTITIONS)
    values = (ROOT / "Topologies" / "samples" / "chats.jsonl").read_bytes().splitlines()
    # Keys spread the records over the four partitions, each in its own offset order.
    positions = produce(broker.bootstrap, topic, values, keys=[b"c%d" % (i % 7) for i in range(len(values))])
    assert len({p for p, _ in positions}) == PARTITIONS
    return topology, topic, outputs, values, positions


def assert_replay_bytes(seen, expected, outputs, copies):
    """Every output topic holds exactly the replay's messages, byte for byte; with `copies`, a message
    may also appear more than once (identical)."""
    for output in outputs:
        first_copy = {}
        for _, _, value in seen[output]:
            event_id = json.loads(value)["id"]
            assert copies or event_id not in first_copy, f"{output}: {event_id} published twice"
            assert first_copy.setdefault(event_id, value) == value, f"{output}: a duplicate of {event_id} differs"
        want = expected.get(output, {})
        missing = sorted(set(want) - set(first_copy))[:5]
        extra = sorted(set(first_copy) - set(want))[:5]
        assert not missing and not extra, f"{output}: missing {missing}, unexpected {extra}"
        differing = [i for i in want if want[i] != first_copy[i]]
        assert not differing, f"{output}: {len(differing)} messages differ from the replay, e.g. {differing[:3]}"


def test_kill_nine_and_restart_publish_what_one_replay_publishes(steward_bin, broker, tmp_path):
    name = f"st{uuid.uuid4().hex[:8]}"
    # The mock cluster accepts the transactional API but writes no markers: a killed transaction's
    # changelog message stays visible there, so only at-least-once is crash-consistent on it. (On
    # Tansu an aborted transaction's records are visible too, but its changelog entries carry a
    # generation the restore ignores without their snapshot, so exactly-once is crash-consistent.)
    exactly_once = broker.name != "mock"
    delivery = "exactly_once" if exactly_once else "at_least_once"
    # The audit log too: its state is restored with the rest, so the run writes the replay's entries
    # (kills add no final entry; the last, clean stop adds the one the end of the replay adds).
    topology, topic, outputs, values, positions = chats_sample_loaded(broker, tmp_path, name, delivery)

    env = dict(broker.env, STEWARD_NOISE_KEY=NOISE_KEY)
    timeout = "session.timeout.ms=2000" if broker.name == "tansu" else "session.timeout.ms=6000"
    args = [steward_bin, "run", str(topology), "--brokers", broker.bootstrap, "--group", f"{name}-group",
            "--instance-id", "chaos", "--max-batch", "40", "--property", timeout,
            # With per-person caps the merged order decides which records count. A partition that
            # is not caught up is waited for up to ten times this before the merge goes on without
            # it (an idle merge, out of order); on a loaded 2-core machine a restarted consumer's
            # first fetch can take longer than the default's 5 s.
            "--max-task-idle-ms", "3000",
            # Below a partition's share of the sample: partitions are paused and resumed around the kills.
            "--buffered-records-per-partition", "200"]
    rng = random.Random(5)
    kills = 0
    for _ in range(KILLS):
        proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        log = []
        reader = threading.Thread(target=lambda: log.extend(proc.stderr), daemon=True)
        reader.start()
        # Kill at a random moment once the instance works (after its group join).
        deadline = time.time() + 60
        while not any("partitions assigned" in line for line in log) and time.time() < deadline:
            if proc.poll() is not None:
                raise AssertionError(f"steward run exited early ({proc.returncode}): {''.join(log)[-2000:]}")
            time.sleep(0.1)
        time.sleep(rng.uniform(0.2, 2.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += 1
    final = subprocess.run(args + ["--idle-timeout", "10"], env=env, capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr[-3000:]
    assert "state restored" in final.stderr, "the last run did not restore any state:\n" + "\n".join(l for l in final.stderr.splitlines() if "Runtime" in l)[-3000:]

    expected = replay_partitions(steward_bin, topology, topic, values, positions, tmp_path, env)
    total = sum(len(expected.get(o, {})) for o in outputs)
    seen = consume_all(broker.bootstrap, outputs, expected=total, timeout=120)
    assert_replay_bytes(seen, expected, outputs, copies=True)
    assert len(expected[f"{name}.aggregates"]) >= 8, "the sample closes at least eight windows"
    published = sum(len(seen[o]) for o in outputs)
    if exactly_once and hides_aborted_records(broker.bootstrap):
        # Exactly-once: no output was published twice.
        assert published == total
    else:
        # A kill can only duplicate what its one open transaction (or batch) held: at most --max-batch
        # records' outputs plus the windows and audit entries they close. Tansu shows an aborted
        # transaction's records to read_committed readers, so this is its bound too.
        assert published - total <= kills * (40 + 10), f"{published - total} duplicates after {kills} kills"
    assert kills == KILLS


def test_a_full_merge_buffer_pauses_partitions_and_loses_nothing(steward_bin, broker, tmp_path):
    """The whole sample loaded first, and a merge buffer of 40 records per partition: the run pauses
    and resumes its partitions all the time (`--buffered-records-per-partition`), and still publishes
    exactly one replay's bytes (a resumed partition is fetched again from after the last record
    polled, so nothing is skipped or read twice)."""
    name = f"bp{uuid.uuid4().hex[:8]}"
    topology, topic, outputs, values, positions = chats_sample_loaded(broker, tmp_path, name, "exactly_once")
    env = dict(broker.env, STEWARD_NOISE_KEY=NOISE_KEY)
    # The mock cluster answers a resumed partition's fetch only when the fetch wait runs out: a short
    # one there. Tansu answers as soon as there is data.
    properties = [] if broker.name == "tansu" else ["fetch.wait.max.ms=20"]
    done = subprocess.run(
        [steward_bin, "run", str(topology), "--brokers", broker.bootstrap, "--group", f"{name}-group",
         "--max-batch", "40", "--max-task-idle-ms", "3000", *[a for p in properties for a in ("--property", p)],
         "--buffered-records-per-partition", "40", "--max-messages", str(len(values)), "--log-level", "debug"],
        env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    pauses = [line for line in done.stderr.splitlines() if "input partitions paused" in line]
    assert len(pauses) >= 10, f"the run paused its partitions {len(pauses)} times"
    assert json.loads(done.stdout.strip().splitlines()[-1])["idle_merges"] == 0

    expected = replay_partitions(steward_bin, topology, topic, values, positions, tmp_path, env)
    total = sum(len(expected.get(o, {})) for o in outputs)
    seen = consume_all(broker.bootstrap, outputs, expected=total, timeout=120)
    assert_replay_bytes(seen, expected, outputs, copies=False)
