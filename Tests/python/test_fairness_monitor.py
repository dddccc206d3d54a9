"""`steward fairness monitor` in raw mode: each closed window's metrics equal Fairlearn's on that window's records;
late events, delayed labels and insufficient groups are reported, never lost or zeroed."""

import json
import os
import random
import subprocess

import numpy as np
import pytest
from fairlearn import metrics as flm

STEWARD = os.environ.get("STEWARD_BIN", ".build/debug/steward")


def monitor(tmp_path, section, records, extra=()):
    config = tmp_path / "fairness.yaml"
    config.write_text("fairness:\n" + "".join(f"  {line}\n" for line in section.strip().splitlines()))
    stream = tmp_path / "stream.jsonl"
    stream.write_text("".join(json.dumps(record) + "\n" for record in records))
    result = subprocess.run([STEWARD, "fairness", "monitor", "--config", str(config), "--input", str(stream),
                             *extra], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def generated(seed, count, span_ms, jitter_ms):
    rng = random.Random(seed)
    records = []
    for index in range(count):
        time = index * span_ms // count
        time = max(0, time - rng.randrange(jitter_ms + 1))  # out of order, within the watermark bound
        race = rng.choice(["a", "b", "c"])
        label = int(rng.random() < 0.4)
        rate = {"a": 0.6, "b": 0.45, "c": 0.3}[race] + 0.2 * label
        records.append({"event_time": time, "race": race, "sex": rng.choice(["f", "m"]), "label": label,
                        "approved": int(rng.random() < rate), "id": f"r{index}"})
    return records


@pytest.mark.parametrize("window", ["{type: tumbling, size: 10s}", "{type: hopping, size: 10s, advance: 5s}"])
def test_each_window_matches_fairlearn_on_its_records(tmp_path, window):
    records = generated(3, 2400, 30_000, 900)
    messages = monitor(tmp_path, f"""
mode: raw
sensitive: [race, [race, sex]]
prediction: approved
label: label
window: {window}
watermark: {{max_out_of_orderness: 1s}}
min_group_size: 1
four_fifths: {{enabled: false}}
""", records)
    windows = [m for m in messages if m["type"] == "fairness.window"]
    assert len(windows) >= 3
    for message in windows:
        assert message["mode"] == "raw"
        start, end = message["window"]["start"], message["window"]["end"]
        inside = [r for r in records if start <= r["event_time"] < end]
        y_true = np.array([r["label"] for r in inside])
        y_pred = np.array([r["approved"] for r in inside])
        for attribute, columns in [("race", ["race"]), ("race|sex", ["race", "sex"])]:
            groups = ["|".join(r[c] for c in columns) for r in inside]
            report = message["attributes"][attribute]
            assert sum(g["count"]["value"] for g in report["by_group"].values()) == len(inside)
            for name, function in [("demographic_parity_difference", flm.demographic_parity_difference),
                                   ("equalized_odds_ratio", flm.equalized_odds_ratio)]:
                theirs = function(y_true, y_pred, sensitive_features=groups)
                ours = report[name]["metric"]
                assert abs(ours["value"] - theirs) <= 1e-9, (start, attribute, name, ours, theirs)
                assert ours["noise_variance"] == 0 and ours["sampling_variance"] > 0
    assert windows[-1]["counters"]["dropped_late"] == 0


def test_late_events_are_counted_and_small_groups_insufficient(tmp_path):
    records = [{"event_time": t, "race": "a" if t % 2 else "b", "approved": t % 3 == 0} for t in range(0, 20_000, 50)]
    records += [{"event_time": 25_000, "race": "a", "approved": True},
                {"event_time": 1_000, "race": "a", "approved": True},      # all its windows closed: dropped, counted
                {"event_time": 26_000, "race": "tiny", "approved": False}]
    messages = monitor(tmp_path, """
mode: raw
sensitive: [race]
prediction: approved
window: {type: tumbling, size: 10s}
watermark: {max_out_of_orderness: 1s}
min_group_size: 10
late_policy: drop
""", records)
    windows = [m for m in messages if m["type"] == "fairness.window"]
    assert windows[-1]["counters"]["dropped_late"] == 1
    last = windows[-1]["attributes"]["race"]
    assert last["by_group"]["tiny"]["selection_rate"] == {"value": None, "insufficient": "below_minimum_group_size"}
    assert last["demographic_parity_difference"]["metric"]["insufficient"] == "fewer_than_two_groups"
    assert "tiny" in last["insufficient_groups"]


def test_delayed_labels_join_within_the_horizon(tmp_path):
    records = []
    for index in range(200):
        records.append({"event_time": index * 10, "race": "ab"[index % 2], "approved": index % 3 != 0, "id": f"r{index}"})
    for index in range(0, 200, 2):  # half the labels arrive later as feedback
        records.append({"event_time": 2_500 + index, "feedback_id": f"r{index}", "outcome": index % 4 == 0})
    records.append({"event_time": 9_000, "feedback_id": "r1", "outcome": True})  # beyond the 5 s horizon
    records.append({"event_time": 9_001, "feedback_id": "nobody", "outcome": True})
    messages = monitor(tmp_path, """
mode: raw
sensitive: [race]
prediction: approved
record_id: id
window: {type: tumbling, size: 2s}
watermark: {max_out_of_orderness: 100ms}
feedback: {horizon: 5s, id_field: feedback_id, label_field: outcome}
min_group_size: 5
four_fifths: {enabled: false}
""", records)
    windows = [m for m in messages if m["type"] == "fairness.window"]
    assert len(windows) == 1
    counters = windows[0]["counters"]
    assert counters["feedback_joined"] == 100
    assert counters["feedback_unmatched"] == 1 and counters["feedback_beyond_horizon"] == 1
    by_group = windows[0]["attributes"]["race"]["by_group"]
    # Group a (even ids) got every label: positives are the ids divisible by 4, negatives the other even
    # ids; a record is approved unless its id is divisible by 3.
    def approved_share(ids):
        return sum(1 for i in ids if i % 3 != 0) / len(ids)
    assert by_group["a"]["true_positive_rate"]["value"] == pytest.approx(approved_share(range(0, 200, 4)), abs=1e-12)
    assert by_group["a"]["false_positive_rate"]["value"] == pytest.approx(approved_share(range(2, 200, 4)), abs=1e-12)
    # Group b's only label came beyond the horizon: its rates are insufficient, never 0.
    for rate in ("true_positive_rate", "false_positive_rate"):
        assert by_group["b"][rate] == {"value": None, "insufficient": "below_minimum_denominator"}


def test_private_mode_without_the_privacy_layer_needs_test_noise(tmp_path):
    section = "sensitive: [race]\nprediction: approved\nwindow: {type: tumbling, size: 1s}\n"
    config = tmp_path / "fairness.yaml"
    config.write_text("fairness:\n" + "".join(f"  {line}\n" for line in section.splitlines()))
    stream = tmp_path / "s.jsonl"
    stream.write_text(json.dumps({"event_time": 1, "race": "a", "approved": 1}) + "\n")
    result = subprocess.run([STEWARD, "fairness", "monitor", "--config", str(config), "--input", str(stream)],
                            capture_output=True, text=True)
    assert result.returncode != 0 and "--test-noise-sigma" in result.stderr
    records = [{"event_time": t, "race": "ab"[t % 2], "approved": t % 3 == 0} for t in range(0, 3000, 5)]
    messages = monitor(tmp_path, section, records, extra=["--test-noise-sigma", "1"])
    windows = [m for m in messages if m["type"] == "fairness.window"]
    assert windows and all(m["mode"] == "private" and "test-only" in m["noise"] for m in windows)
    dpd = windows[0]["attributes"]["race"]["demographic_parity_difference"]["metric"]
    assert dpd["noise_variance"] > 0
