"""`steward fairness monitor` runs the pipeline's own fairness stage: a record whose prediction and
label sit in nested objects (as the scoring stage writes them, `scoring.positive`) is read through
its dotted path exactly as `steward replay` reads it, and the windows equal those of the same
records with flat fields."""

import json
import os
import random
import subprocess

STEWARD = os.environ.get("STEWARD_BIN", ".build/debug/steward")

SECTION = """fairness:
  mode: raw
  sensitive: [region]
  prediction: {prediction}
  label: {label}
  window: {{type: tumbling, size: 10s}}
  watermark: {{max_out_of_orderness: 1s}}
  min_group_size: 1
"""


def run_monitor(tmp_path, name, section, records):
    config = tmp_path / f"{name}.yaml"
    config.write_text(section)
    stream = tmp_path / f"{name}.jsonl"
    stream.write_text("".join(json.dumps(record) + "\n" for record in records))
    result = subprocess.run([STEWARD, "fairness", "monitor", "--config", str(config), "--input", str(stream)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_dotted_paths_read_nested_fields_as_the_pipeline_does(tmp_path):
    rng = random.Random(7)
    flat, nested = [], []
    for index in range(1200):
        region = rng.choice(["eu", "us", "apac"])
        positive = int(rng.random() < {"eu": 0.3, "us": 0.5, "apac": 0.4}[region])
        label = int(rng.random() < 0.4)
        time = index * 25
        flat.append({"event_time": time, "region": region, "positive": positive, "escalated": label})
        nested.append({"event_time": time, "region": region, "scoring": {"positive": positive},
                       "outcome": {"escalated": label}})
    expected = run_monitor(tmp_path, "flat", SECTION.format(prediction="positive", label="escalated"), flat)
    got = run_monitor(tmp_path, "nested",
                      SECTION.format(prediction="scoring.positive", label="outcome.escalated"), nested)
    windows = [json.loads(line) for line in got if json.loads(line)["type"] == "fairness.window"]
    assert len(windows) >= 3
    assert got == expected


def test_a_record_the_stage_cannot_use_is_an_error_with_its_line(tmp_path):
    records = [{"event_time": 0, "region": "eu", "positive": 1},
               {"event_time": 10, "region": "eu", "positive": "maybe"}]
    config = tmp_path / "f.yaml"
    config.write_text(SECTION.format(prediction="positive", label="escalated"))
    stream = tmp_path / "s.jsonl"
    stream.write_text("".join(json.dumps(record) + "\n" for record in records))
    result = subprocess.run([STEWARD, "fairness", "monitor", "--config", str(config), "--input", str(stream)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert f"{stream}:2:" in result.stderr and "is not a binary outcome" in result.stderr
