"""Private group-by aggregates (`aggregates:`) and partition selection, judged from the outside.

Every test replays a shipped topology (or one derived from it) with `steward replay` over its
shipped sample and reads the published `dev.steward.aggregate.window.v1` messages:

- Shape: one aggregate per shipped topology, a message per window with every group's value and
  stderr and the per-person guarantee (unit, rho, epsilon, delta).
- Bounding, black box: a second replay adds 300 records of one new person in one window and group.
  Noise is a pure function of (key, series, step), so the two runs' released values differ by
  exactly K in that group's window and by 0 everywhere else.
- Partition selection: a group (and a fairness group) contributed by one person never appears; a
  group of more people than the stated `min_users_p99` does.
- Accounting: each aggregate's stated (ρ, ε, δ) equals dp-accounting's composition of its count
  (and sum) series at the declared ρ, with δ the conversion's plus the selection's.
- Sums: a record with a value of 10⁹ moves its group's sum by exactly the clamp's bound.
"""
import json

import pytest

from test_privacy import reference_epsilon
from test_privacy_user import SPEC, replay, sample, shipped, topic

AGGREGATE = "dev.steward.aggregate.window.v1"
START = 700


def aggregates(out):
    return [e["data"] for e in topic(out, "aggregates") if e["type"] == AGGREGATE]


def cells(out, name=None):
    """{(window index, group key): (value, stderr)} over every published group."""
    result = {}
    for data in aggregates(out):
        if name and data["aggregate"] != name:
            continue
        for group in data["groups"]:
            result[(data["index"], json.dumps(group["group"], sort_keys=True))] = (group["value"], group["stderr"])
    return result


def lookup(record, path):
    value = record
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def matches(record, text):
    """The shipped filters' syntax, PATH == LITERAL (enough for the shipped topologies)."""
    path, literal = (part.strip() for part in text.split("=="))
    return lookup(record, path) == json.loads(literal)


def records(lines):
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except json.JSONDecodeError:
            parsed.append(None)
    return parsed


@pytest.mark.parametrize("name", sorted(SPEC))
def test_each_shipped_topology_publishes_one_private_aggregate(name, tmp_path):
    out = replay(shipped(name), sample(name), tmp_path)
    messages = aggregates(out)
    assert len(messages) >= 4  # 1,500 records, one every 2 s: five 10-minute windows, the last still open
    assert len({m["aggregate"] for m in messages}) == 1
    indices = [m["index"] for m in messages]
    assert indices == list(range(indices[0], indices[0] + len(indices))), "a message for every window"
    for message in messages:
        privacy = message["privacy"]
        assert privacy["unit"] == "user" and privacy["user_field"] == SPEC[name]
        assert privacy["rho"] > 0 and privacy["epsilon"] > 0 and 0 < privacy["delta"] < 1e-5
        assert message["selection"]["threshold"] > privacy["max_contributions_per_window"]
        for group in message["groups"]:
            assert isinstance(group["value"], float) and group["stderr"] > 0


@pytest.mark.parametrize("name", sorted(SPEC))
def test_one_heavy_person_moves_one_aggregate_cell_by_exactly_k(name, tmp_path):
    text = shipped(name)
    k = int(text.split("max_contributions_per_window: ")[1].split()[0])
    lines = sample(name)
    first = replay(text, lines, tmp_path / "first")
    message = aggregates(first)[0]
    sanitized = [e["data"] for e in topic(first, "sanitized")]
    by_id = {r["id"]: r for r in sanitized}
    # The first record from START on that passes the aggregate's filter (the model's decision is a
    # function of the text, so its copies pass too).
    parsed = records(lines)
    at = next(i for i in range(START, len(lines)) if parsed[i] and parsed[i].get("id") in by_id
              and matches(by_id[parsed[i]["id"]], message["filter"]))
    base = parsed[at]
    intruders = [json.dumps(dict(base, id=f"intruder-{i}", **{SPEC[name]: "intruder"})) for i in range(300)]
    second = replay(text, lines[:at + 1] + intruders + lines[at + 1:], tmp_path / "second")
    before, after = cells(first), cells(second)
    group = json.dumps({path: base[path] for path in message["group_by"]}, sort_keys=True)
    size = message["window"]["end"] - message["window"]["start"]
    import datetime
    t = int(datetime.datetime.fromisoformat(base["ts"].replace("Z", "+00:00")).timestamp() * 1000)
    target = (t // size, group)
    for cell in before.keys() & after.keys():
        difference = after[cell][0] - before[cell][0]
        assert after[cell][1] == before[cell][1], cell
        assert abs(difference - (k if cell == target else 0)) < 1e-6, (cell, difference)
    # Only the intruder's cell may appear or vanish (partition selection of a non-public group).
    assert (before.keys() ^ after.keys()) <= {target}
    if message["selection"]["public_groups"] > 0:
        assert target in before and target in after


def finance_with(extra_lines_at, make):
    lines = sample("finance")
    parsed = records(lines)
    at = next(i for i in range(START, len(lines)) if parsed[i] and parsed[i].get("sentiment") == 0)
    return lines[:at + 1] + make(parsed[at]) + lines[at + 1:], parsed[at]


def test_a_group_of_one_person_never_appears_and_a_crowd_does(tmp_path):
    text = shipped("finance")
    lines = sample("finance")
    first = replay(text, lines, tmp_path / "first")
    negative = {e["data"]["id"] for e in topic(first, "sanitized") if e["data"]["scoring"]["label"] == "negative"}
    parsed = records(lines)
    at = next(i for i in range(START, len(lines)) if parsed[i] and parsed[i].get("id") in negative)
    base = parsed[at]
    minimum = aggregates(first)[0]["selection"]["min_users_p99"]
    crowd_size = int(2 * minimum)
    # One person's 300 records in a source and a language of their own, and a crowd of distinct
    # people in another new source.
    solo = [json.dumps(dict(base, id=f"solo-{i}", author_id="solo", source="solo-source", language="xx"))
            for i in range(300)]
    crowd = [json.dumps(dict(base, id=f"crowd-{i}", author_id=f"crowd-{i}", source="crowd-source"))
             for i in range(crowd_size)]
    out = replay(text, lines[:at + 1] + solo + crowd + lines[at + 1:], tmp_path / "second")
    sources = {g["group"]["source"] for m in aggregates(out) for g in m["groups"]}
    assert "solo-source" not in sources
    assert "crowd-source" in sources
    windows = [e["data"] for e in topic(out, "aggregates") if e["type"] == "dev.steward.fairness.window.v1"]
    languages = {g for w in windows for g in w["attributes"]["language"]["by_group"]}
    assert "xx" not in languages and {"en", "de", "fr"} <= languages
    # The solo person's records are still published, redacted and scored.
    assert sum(e["data"]["id"].startswith("solo-") for e in topic(out, "sanitized")) == 300


@pytest.mark.parametrize("name", sorted(SPEC))
def test_each_aggregate_states_the_guarantee_dp_accounting_computes(name, tmp_path):
    text = shipped(name)
    out = replay(text, sample(name), tmp_path)
    statements = [m["privacy"] for m in aggregates(out)]
    assert statements and all(s == statements[0] for s in statements)
    stated = statements[0]
    series_rho = float(text.split("aggregates:")[1].split("rho: ")[1].split()[0])
    assert stated["series_rho"] == pytest.approx(series_rho, rel=1e-12)
    assert stated["families"] == 1
    assert stated["rho"] == pytest.approx(series_rho, rel=1e-12)
    assert stated["delta"] == pytest.approx(stated["conversion_delta"] + stated["selection_delta"], rel=1e-12)
    reference = reference_epsilon(series_rho, 1, stated["conversion_delta"])
    assert stated["epsilon"] <= reference + 1e-9
    assert stated["epsilon"] == pytest.approx(reference, rel=2e-3)


def clicks_with_sum(statistic):
    # A sum at rho 0.2 costs 0.4 per person: more than the shipped max_rho_per_person leaves.
    text = shipped("clicks").replace("  max_rho_per_person: 1.235\n", "  max_rho_per_person: 1.54\n")
    head, tail = text.split("aggregates:\n", 1)
    return head + f"""aggregates:
  - name: spend_per_category
    group_by: [category]
    {statistic}: {{field: price, clamp: [0, 200]}}
    window: {{type: tumbling, size: 10m}}
    watermark: {{max_out_of_orderness: 30s}}
    rho: 0.2
    public_groups: [shoes, books, games, garden, music, toys]
""" + "delivery:" + tail.split("delivery:", 1)[1]


def test_a_mean_spends_two_families_as_dp_accounting_composes(tmp_path):
    out = replay(clicks_with_sum("mean"), sample("clicks"), tmp_path)
    messages = aggregates(out)
    stated = messages[0]["privacy"]
    assert stated["families"] == 2 and stated["rho"] == pytest.approx(0.4, rel=1e-12)
    reference = reference_epsilon(0.2, 2, stated["conversion_delta"])
    assert stated["epsilon"] == pytest.approx(reference, rel=2e-3) and stated["epsilon"] <= reference + 1e-9
    for message in messages:
        for group in message["groups"]:
            assert group["value"] is None or 0 <= group["value"] <= 200


def test_a_huge_value_moves_a_sum_by_its_clamp(tmp_path):
    text = clicks_with_sum("sum")
    lines = sample("clicks")
    parsed = records(lines)
    first = replay(text, lines, tmp_path / "first")
    base = parsed[START]
    whale = json.dumps(dict(base, id="whale", user_id="whale", price=1e9))
    second = replay(text, lines[:START + 1] + [whale] + lines[START + 1:], tmp_path / "second")
    before, after = cells(first), cells(second)
    assert before.keys() == after.keys()
    moved = {cell: after[cell][0] - before[cell][0] for cell in before if abs(after[cell][0] - before[cell][0]) > 1e-6}
    assert len(moved) == 1, moved
    (cell, difference), = moved.items()
    assert json.loads(cell[1]) == {"category": base["category"]}
    assert difference == pytest.approx(200, abs=1e-6)
