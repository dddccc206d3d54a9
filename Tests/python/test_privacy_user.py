"""Per-person privacy (`privacy.unit: user`) in the shipped topologies, judged from the outside.

Every test replays a shipped topology with `steward replay` over its shipped sample stream and reads
the published messages:

- Bounding, black box: a second replay adds 300 records of one new person in one window and group,
  nothing else. Noise is a pure function of (key, series, step), so the released counts of the two
  runs differ by exactly the bounded contribution: K (`max_contributions_per_window`) in that
  group's count in each window the records fall in, 0 everywhere else. The 300 records are still
  published on the sanitized topic; no exact counter is published beside the private counts.
- Accounting: the per-person (ρ, ε, δ) each window message states equals dp-accounting's
  composition of the declared mechanisms: 6 count families × sensitive attributes, each a Gaussian
  mechanism at the series ρ (a discrete Gaussian of the same variance is ρ-zCDP as well), with δ
  the conversion's plus partition selection's.
- Calibration: the noise variance of a count with the user unit is (K·M)² times the event unit's
  at the same ρ and horizon (each counter's sensitivity is a person's L1 bound K·M).
- Determinism: two replays give the same bytes.
"""
import datetime
import json
import os
import pathlib
import re
import subprocess

import pytest

from test_privacy import reference_epsilon

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("STEWARD_BIN", str(ROOT / ".build/debug/steward"))
KEY = "26" * 32
# Per topology: the person's field and the index in the sample of a record whose window the
# intruder joins (the sample has one record every 2 s from 08:00, so index 700 is at 08:23:20).
SPEC = {"chats": "customer_id", "finance": "author_id", "clicks": "user_id"}
INTRUDER_AT = 700
SAMPLE_LINES = 1500


def privacy_value(text, key, default=None):
    section = text.split("\nprivacy:", 1)[1].split("\ndelivery:", 1)[0]
    match = re.search(rf"\n  {key}: ([^\s#]+)", section)
    return match.group(1) if match else default


def window_spec(text):
    size = int(re.search(r"window:.*size: (\d+)m", text).group(1))
    advance = re.search(r"window:.*advance: (\d+)m", text)
    return size * 60_000, (int(advance.group(1)) if advance else size) * 60_000


def sensitive_count(text):
    line = re.search(r"\n  sensitive: (.*)\n", text).group(1)
    depth, count = 0, 1
    for char in line[1:-1]:
        depth += char == "["
        depth -= char == "]"
        count += char == "," and depth == 0
    return count


def replay(topology_text, lines, workdir):
    workdir.mkdir(parents=True, exist_ok=True)
    topology = workdir / "topology.yaml"
    # The model paths are relative to Topologies/.
    topology.write_text(topology_text.replace("../Models/", str(ROOT / "Models") + "/"))
    source = workdir / "input.jsonl"
    source.write_text("\n".join(lines) + "\n")
    out = workdir / "out"
    subprocess.run([BIN, "replay", str(topology), "--input", str(source), "--output-dir", str(out)],
                   check=True, env=dict(os.environ, STEWARD_NOISE_KEY=KEY), stdout=subprocess.DEVNULL)
    return out


def topic(out, suffix):
    path = next(out.glob(f"*.{suffix}.jsonl"))
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def counts(out):
    """{(window index, attribute, group): (count value, noise variance)} of every window message."""
    cells = {}
    for event in fairness_windows(out):
        data = event["data"]
        for attribute, report in data["attributes"].items():
            for group, metrics in report["by_group"].items():
                cells[(data["index"], attribute, group)] = (metrics["count"]["value"], metrics["count"]["noise_variance"])
    return cells


def fairness_windows(out):
    """The fairness window messages (the aggregates topic also carries the group-by aggregates)."""
    return [e for e in topic(out, "aggregates") if e["type"] == "dev.steward.fairness.window.v1"]


def shipped(name):
    return (ROOT / "Topologies" / f"{name}.yaml").read_text()


def sample(name):
    return (ROOT / "Topologies" / "samples" / f"{name}.jsonl").read_text().splitlines()[:SAMPLE_LINES]


@pytest.mark.parametrize("name", sorted(SPEC))
def test_the_shipped_topology_bounds_people(name):
    text = shipped(name)
    assert privacy_value(text, "unit") == "user"
    assert privacy_value(text, "user_field") == SPEC[name]
    records = []
    for line in sample(name):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            pass  # the sample's malformed lines, for the dead-letter path
    people = [r.get(SPEC[name]) for r in records if isinstance(r, dict) and "id" in r]
    assert len(people) > 1000 and all(people)
    # Heavy-tailed: the most active person writes dozens of records in the sample.
    assert max(people.count(p) for p in set(people)) > 100


@pytest.mark.parametrize("name", sorted(SPEC))
def test_one_heavy_person_moves_one_count_by_exactly_k(name, tmp_path):
    text = shipped(name)
    k = int(privacy_value(text, "max_contributions_per_window"))
    size, step = window_spec(text)
    lines = sample(name)
    base = json.loads(lines[INTRUDER_AT])
    intruders = [json.dumps(dict(base, id=f"intruder-{i}", **{SPEC[name]: "intruder"})) for i in range(300)]
    with_intruder = lines[:INTRUDER_AT + 1] + intruders + lines[INTRUDER_AT + 1:]
    first = replay(text, lines, tmp_path / "first")
    second = replay(text, with_intruder, tmp_path / "second")

    before, after = counts(first), counts(second)
    assert before.keys() == after.keys() and len(before) > 10
    # The windows the intruder's records fall in, and their group in each attribute.
    t = int(datetime.datetime.fromisoformat(base["ts"].replace("Z", "+00:00")).timestamp() * 1000)
    windows = {w for w in range((t - size) // step, t // step + 1) if w * step <= t < w * step + size}
    groups = {attribute: "|".join(str(base[c]) for c in attribute.split("|")) for (_, attribute, _) in before}
    moved = {}
    for cell, (value, variance) in after.items():
        window, attribute, group = cell
        difference = value - before[cell][0]
        assert variance == before[cell][1]
        if window in windows and group == groups[attribute]:
            moved[cell] = difference
        else:
            assert abs(difference) < 1e-6, (cell, difference)
    assert len(moved) == len(windows) * len(groups), moved
    assert all(abs(d - k) < 1e-6 for d in moved.values()), moved

    # Every record is still published. How many were left out is the operator's metric
    # (steward_privacy_records_over_cap_total): exact counts are never published beside private ones.
    assert len(topic(second, "sanitized")) == len(topic(first, "sanitized")) + 300
    assert all("counters" not in event["data"] for event in fairness_windows(second))


@pytest.mark.parametrize("name", sorted(SPEC))
def test_the_stated_per_person_guarantee_matches_dp_accounting(name, tmp_path):
    text = shipped(name)
    rho = float(privacy_value(text, "rho"))
    delta = float(privacy_value(text, "delta", "1.0e-6"))
    families = 6 * sensitive_count(text)
    out = replay(text, sample(name), tmp_path)
    statements = [event["data"]["privacy"] for event in fairness_windows(out)]
    assert statements and all(s == statements[0] for s in statements)
    stated = statements[0]
    assert stated["unit"] == "user" and stated["user_field"] == SPEC[name]
    assert stated["series_rho"] == pytest.approx(rho, rel=1e-12)
    assert stated["rho"] == pytest.approx(families * rho, rel=1e-12)
    # δ: the zCDP conversion's plus partition selection's (groups outside fairness.public_groups).
    selection = float(privacy_value(text, "selection_delta", "1.0e-7"))
    assert stated["conversion_delta"] == pytest.approx(delta, rel=1e-12)
    assert stated["selection_delta"] == pytest.approx(selection, rel=1e-12)
    assert stated["delta"] == pytest.approx(delta + selection, rel=1e-12)
    reference = reference_epsilon(rho, families, delta)
    assert stated["epsilon"] <= reference + 1e-9
    assert stated["epsilon"] == pytest.approx(reference, rel=2e-3)


@pytest.mark.parametrize("name", sorted(SPEC))
def test_user_noise_is_k_times_m_the_event_noise(name, tmp_path):
    text = shipped(name)
    k = int(privacy_value(text, "max_contributions_per_window"))
    m = int(privacy_value(text, "max_windows_per_user"))
    size, step = window_spec(text)
    overlap = -(-size // step)
    event = re.sub(r"\n  unit: user\n  user_field: \S+\n  max_contributions_per_window: \d+\n"
                   r"  max_windows_per_user: \d+\n  series_per_event: \d+\n",
                   f"\n  unit: event\n  series_per_event: {6 * sensitive_count(text) * overlap ** 2}\n", text)
    assert event != text
    event = re.sub(r"\n  max_rho_per_person: \S+\n", "\n", event)  # the event unit spends W² more
    user_cells = counts(replay(text, sample(name), tmp_path / "user"))
    event_cells = counts(replay(event, sample(name), tmp_path / "event"))
    # Bounding leaves some small groups out of a window; the noise of a series does not depend on the data.
    common = user_cells.keys() & event_cells.keys()
    assert len(common) >= 0.9 * len(event_cells)
    for cell in common:
        assert user_cells[cell][1] == pytest.approx((k * m) ** 2 * event_cells[cell][1], rel=1e-6), cell


@pytest.mark.parametrize("name", sorted(SPEC))
def test_replays_are_byte_identical(name, tmp_path):
    text = shipped(name)
    first = replay(text, sample(name), tmp_path / "a")
    second = replay(text, sample(name), tmp_path / "b")
    for path in sorted(first.iterdir()):
        assert path.read_bytes() == (second / path.name).read_bytes(), path.name
