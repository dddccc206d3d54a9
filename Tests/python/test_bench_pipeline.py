"""`steward bench pipeline`: with a topology's own records every engine runs, and the command says
what the records became, so a figure that measures the dead-letter path is never mistaken for one
that measures the engines."""
import json
import os
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]


def bench(steward_bin, *args):
    env = dict(os.environ, STEWARD_NOISE_KEY="22" * 32)
    res = subprocess.run([steward_bin, "bench", "pipeline", *args], cwd=ROOT, env=env, capture_output=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr.decode("utf-8", "replace")
    lines = res.stdout.decode().splitlines()
    assert lines[0].startswith("pipeline: ") and "records/s" in lines[0]
    records = json.loads(lines[1].removeprefix("records: "))
    topics = json.loads(lines[2].removeprefix("outputs by topic: "))
    return records, topics, lines[3:]


def test_topology_samples_run_every_engine(steward_bin):
    samples = ROOT / "Topologies" / "samples" / "chats.jsonl"
    count = sum(1 for line in samples.read_bytes().split(b"\n") if line)
    records, topics, notes = bench(steward_bin, "--topology", "Topologies/chats.yaml", "--input", str(samples))
    assert records["consumed"] == count
    assert records["sanitized"] + records["dead_lettered"] == count
    assert records["sanitized"] > 0.99 * count
    assert topics["chats.sanitized"] == records["sanitized"]
    # The fairness engine ran: windows closed and were released.
    assert topics.get("chats.aggregates", 0) > 0
    assert records["unused_by_stream_stages"] == topics["chats.dlq"] - records["dead_lettered"]
    assert notes == []


def test_records_the_topology_refuses_are_called_out(steward_bin):
    records, topics, notes = bench(steward_bin, "--topology", "Topologies/chats.yaml", "--records", "2000")
    assert records == {"consumed": 2000, "sanitized": 0, "dead_lettered": 2000,
                       "dead_letters_by_reason": {"missing_field": 2000}, "unused_by_stream_stages": 0,
                       "idle_merges": 0}
    # The audit log is part of the pipeline: one entry per 500 input records (audit.every's default).
    assert topics == {"chats.dlq": 2000, "chats.audit": 4}
    assert len(notes) == 1 and "dead-letter" in notes[0]


def test_cycled_input_keeps_event_times_advancing(steward_bin):
    """Each repetition of a cycled --input gets fresh ids and event times past the previous one's, so
    the stream stages keep closing windows instead of dead-lettering the repeats as late."""
    samples = ROOT / "Topologies" / "samples" / "chats.jsonl"
    count = sum(1 for line in samples.read_bytes().split(b"\n") if line)
    once, once_topics, _ = bench(steward_bin, "--topology", "Topologies/chats.yaml", "--input", str(samples))
    records, topics, notes = bench(steward_bin, "--topology", "Topologies/chats.yaml", "--input", str(samples),
                                   "--records", str(4 * count))
    assert records["consumed"] == 4 * count
    assert records["sanitized"] == 4 * once["sanitized"]
    assert records["unused_by_stream_stages"] <= 4 * once["unused_by_stream_stages"] + 4
    # Windows keep closing: the private aggregate releases every window of the four passes. (The
    # fairness windows stop after the first pass: the sample's 500 people have then used their one
    # window per epoch, max_windows_per_user, so no later record is admitted.)
    assert topics["chats.aggregates"] > 2 * once_topics["chats.aggregates"]
    assert notes == []


def test_input_that_comes_too_late_is_called_out(tmp_path, steward_bin):
    """Records in falling event-time order come after their windows closed: the fairness stage
    dead-letters them as late, which the summary counts (`unused_by_stream_stages`) and the note names."""
    lines = [line for line in (ROOT / "Topologies" / "samples" / "chats.jsonl").read_bytes().split(b"\n") if line]
    backwards = tmp_path / "backwards.jsonl"
    backwards.write_bytes(b"\n".join(reversed(lines)) + b"\n")
    records, topics, notes = bench(steward_bin, "--topology", "Topologies/chats.yaml", "--input", str(backwards))
    assert records["unused_by_stream_stages"] > len(lines) // 2
    assert topics["chats.dlq"] == records["dead_lettered"] + records["unused_by_stream_stages"]
    assert len(notes) == 1 and "too late" in notes[0]


def test_default_run_is_the_pass_through_core(steward_bin):
    records, topics, notes = bench(steward_bin, "--records", "5000")
    assert records["sanitized"] == 5000 and notes == []
    assert topics == {"passthrough.sanitized": 5000, "passthrough.audit": 10}
