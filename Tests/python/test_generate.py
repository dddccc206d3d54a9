"""`steward generate`: records in the shipped topologies' input schemas, deterministic per seed, and a
drift that moves the shipped model's decisions (scored by `steward replay`, measured by
`steward fairness evaluate`) for the named group after record N and not before."""
import json
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import ROOT
from kafka_peer import consume_all

NOISE_KEY = "5e" * 32
DRIFTS = {"chats": ("region", "north"), "finance": ("language", "de"), "clicks": ("country", "jp")}


def generate(steward, path, scenario, *extra):
    subprocess.run([steward, "generate", "--scenario", scenario, "--output", str(path), *map(str, extra)],
                   check=True, cwd=ROOT, capture_output=True)
    return path


def replay(steward, scenario, source, out):
    result = subprocess.run(
        [steward, "replay", str(ROOT / "Topologies" / f"{scenario}.yaml"), "--input", str(source), "--output-dir",
         str(out)], check=True, capture_output=True, text=True, env=dict(os.environ, STEWARD_NOISE_KEY=NOISE_KEY))
    summary = json.loads(result.stdout)
    sanitized = [json.loads(line) for line in (out / f"{scenario}.sanitized.jsonl").read_text().splitlines()]
    return summary, sanitized


def selection_rates(steward, rows, attribute, path):
    """Per group, the share of positive decisions, as `steward fairness evaluate` computes it."""
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    result = subprocess.run([steward, "fairness", "evaluate", "--input", str(path), "--sensitive", attribute,
                             "--prediction", "positive"], check=True, capture_output=True, text=True)
    return {group: values["selection_rate"] for group, values in json.loads(result.stdout)["by_group"].items()}


def test_the_same_seed_gives_the_same_bytes_and_another_seed_others(steward_bin, tmp_path):
    args = ("--count", 2000, "--drift-at", 1000, "--drift", "region=south:0.2")
    first = generate(steward_bin, tmp_path / "a.jsonl", "chats", "--seed", 7, *args).read_bytes()
    second = generate(steward_bin, tmp_path / "b.jsonl", "chats", "--seed", 7, *args).read_bytes()
    other = generate(steward_bin, tmp_path / "c.jsonl", "chats", "--seed", 8, *args).read_bytes()
    assert first == second
    assert first != other
    assert len(first.splitlines()) == 2000


def test_brokers_get_the_same_records_as_the_file_at_the_given_rate(steward_bin, mock_broker, tmp_path):
    topic = f"generated-{os.getpid()}-{id(tmp_path)}"
    started = time.monotonic()
    subprocess.run([steward_bin, "generate", "--scenario", "finance", "--brokers", mock_broker.bootstrap, "--topic",
                    topic, "--count", "300", "--rate", "150", "--seed", "4"],
                   check=True, cwd=ROOT, capture_output=True, env=mock_broker.env)
    elapsed = time.monotonic() - started
    expected = generate(steward_bin, tmp_path / "f.jsonl", "finance", "--count", 300, "--seed", 4)
    received = consume_all(mock_broker.bootstrap, [topic], 300)[topic]
    # The topic may have several partitions: the same records, each partition in the file's order.
    lines = expected.read_bytes().splitlines()
    assert sorted(value for _, _, value in received) == sorted(lines)
    for partition in {p for p, _, _ in received}:
        values = [value for p, _, value in sorted(received) if p == partition]
        assert values == [line for line in lines if line in set(values)]
    assert elapsed >= 1.9, f"300 records at 150/s took {elapsed:.2f} s"



def test_an_endless_run_stops_on_sigterm_and_delivers_every_record_it_counts(steward_bin, mock_broker, tmp_path):
    """`--count 0` produces until SIGTERM; it then flushes, so the topic holds exactly the records
    the final line counts."""
    topic = f"endless-{os.getpid()}-{id(tmp_path)}"
    proc = subprocess.Popen([steward_bin, "generate", "--scenario", "chats", "--brokers", mock_broker.bootstrap,
                             "--topic", topic, "--count", "0", "--rate", "400", "--seed", "9"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env=mock_broker.env)
    time.sleep(3)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr[-2000:]
    counted = int(re.search(r"steward generate: (\d+) records", stderr).group(1))
    assert counted > 100
    received = consume_all(mock_broker.bootstrap, [topic], counted, timeout=60)[topic]
    assert len(received) == counted

@pytest.mark.parametrize("scenario", ["chats", "finance", "clicks"])
def test_records_pass_their_topology_and_only_the_planted_ones_are_dead_lettered(steward_bin, tmp_path, scenario):
    source = generate(steward_bin, tmp_path / "in.jsonl", scenario, "--count", 1500, "--seed", 3,
                      "--malformed-every", 500)
    summary, sanitized = replay(steward_bin, scenario, source, tmp_path / "out")
    assert summary["consumed"] == 1500
    assert summary["dead_lettered"] == 3, summary
    assert summary["dead_letters_by_reason"] == {"invalid_json": 1, "missing_field": 1, "wrong_type": 1}
    assert summary["sanitized"] == 1497
    ids = [event["data"]["id"] for event in sanitized]
    assert all(event["data"]["scoring"]["model"]["name"] for event in sanitized)
    assert len(set(ids)) > 1490  # ids are drawn from 10^9 values
    if scenario == "clicks":
        return
    field = "message" if scenario == "chats" else "text"
    texts = [line for line in source.read_text().splitlines()]
    assert any(any("\u3040" <= c <= "\u30ff" or "\u4e00" <= c <= "\u9fff" for c in t) for t in texts), "no Japanese"
    assert any("ü" in t or "ß" in t for t in texts), "no German"
    redacted = [event["data"][field] for event in sanitized]
    planted = "IBAN_CODE" if scenario == "finance" else "EMAIL_ADDRESS"
    assert sum(f"<{planted}>" in text or "****" in text for text in redacted) > 20, redacted[:5]
    assert not any("@example.com" in text for text in redacted if scenario == "chats")


@pytest.mark.parametrize("scenario", ["chats", "finance", "clicks"])
def test_a_drift_moves_the_models_decisions_for_the_group_after_record_n_only(steward_bin, tmp_path, scenario):
    attribute, group = DRIFTS[scenario]
    count, start, shift = 8000, 4000, 0.2
    source = generate(steward_bin, tmp_path / "in.jsonl", scenario, "--count", count, "--seed", 11,
                      "--drift-at", start, "--drift", f"{attribute}={group}:{shift}")
    _, sanitized = replay(steward_bin, scenario, source, tmp_path / "out")
    assert len(sanitized) == count
    rows = [{attribute: event["data"][attribute], "positive": int(event["data"]["scoring"]["positive"])}
            for event in sanitized]
    before = selection_rates(steward_bin, rows[:start], attribute, tmp_path / "before.jsonl")
    after = selection_rates(steward_bin, rows[start:], attribute, tmp_path / "after.jsonl")

    def gap(rates):  # the group's rate minus the mean of the other groups'
        others = [rate for name, rate in rates.items() if name != group]
        return rates[group] - sum(others) / len(others)

    # About 1,000 (clicks: about 570) records of the group on each side: a standard error near 0.015-0.02.
    assert abs(gap(before)) < 0.06, before
    assert abs(gap(after) - shift) < 0.06, after
    assert all(abs(rate - 0.3) < 0.06 for rate in before.values()), before
