"""Stationary and drifting streams for the shipped topologies, replayed through `steward replay`.

The model's decisions come from the shipped model through the real topology: a pool of records per
group is generated with scripts/scoring/generate_data.py (the records the models were trained on),
replayed once through the topology to learn which ones the model flags, and the streams are built by
drawing flagged or unflagged pool records per group at the selection rate wanted, with fresh ids and
event times. Every stream is then replayed through the topology (privacy as shipped, a noise key per
stream) and its alerts are read back.

Used by Tests/python/test_fairness_topologies.py (small sizes, run in `make test`) and by hand for the
figures of Docs/fairness.md:

    .venv/bin/python Tests/python/fairness_streams.py --steward .build/release/steward \\
        --topology chats --trials 1000 --kind drift --shift 0.2
"""
import argparse
import concurrent.futures
import datetime
import json
import math
import os
import pathlib
import random
import re
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts" / "scoring"))
import generate_data  # noqa: E402

START = datetime.datetime(2026, 11, 29, 0, 0, tzinfo=datetime.timezone.utc)
BASE_RATE = 0.3

# Per shipped topology: the attribute columns set by the generator, their values, the drifting
# column, and how a candidate record is made.
TOPOLOGIES = {
    "chats": {"columns": {"region": ["north", "south", "east", "west"]}, "drift": "region", "person": "customer_id"},
    "finance": {"columns": {"language": ["en", "de", "fr"]}, "drift": "language", "person": "author_id"},
    "clicks": {"columns": {"country": generate_data.COUNTRIES, "device": generate_data.DEVICES}, "drift": "country",
               "person": "user_id"},
}


def topology_path(name):
    return ROOT / "Topologies" / f"{name}.yaml"


def setting(name, pattern, default=None):
    """A value of the topology's fairness section, found by a regular expression (no YAML library in
    the test environment; the shipped topologies write these keys in flow style on one line)."""
    text = topology_path(name).read_text().split("\nfairness:", 1)[1].split("\nprivacy:", 1)[0]
    match = re.search(pattern, text)
    return match.group(1) if match else default


def window_minutes(name):
    """(size, step) of the topology's windows in minutes."""
    size = int(setting(name, r"window:.*size: (\d+)m"))
    return size, int(setting(name, r"window:.*advance: (\d+)m", size))


def candidate(name, rng, group):
    if name == "chats":
        r = generate_data.chat(rng)
        r["id"] = r.pop("chat_id")
    elif name == "finance":
        r = generate_data.finance(rng)
        r["id"] = r.pop("post_id")
    else:
        r = generate_data.click(rng)
        r["id"] = r.pop("impression_id")
    r.update(group)
    return r


def stamp(seconds):
    return (START + datetime.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def replay(steward, name, lines, workdir, key):
    """Replays `lines` (dicts, or JSON text) through the topology; returns the output directory."""
    workdir = pathlib.Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    source = workdir / "input.jsonl"
    with source.open("w") as f:
        for line in lines:
            f.write((line if isinstance(line, str) else json.dumps(line, ensure_ascii=False)) + "\n")
    out = workdir / "out"
    env = dict(os.environ, STEWARD_NOISE_KEY=key)
    subprocess.run([steward, "replay", str(topology_path(name)), "--input", str(source), "--output-dir", str(out)],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    return out


def read_topic(out, suffix):
    path = next(iter(sorted(out.glob(f"*.{suffix}.jsonl"))), None)
    if path is None:
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def groups_of(name):
    columns = TOPOLOGIES[name]["columns"]
    keys = list(columns)
    combos = [{}]
    for key in keys:
        combos = [dict(c, **{key: v}) for c in combos for v in columns[key]]
    return combos


POOL_SIZES = {"chats": 300, "finance": 300, "clicks": 1500}


def build_pool(steward, name, workdir, per_group=None, seed=1):
    """Per group (a dict of the generator's columns, as a tuple key), the records the model flags and
    the ones it does not: {group_key: (positives, negatives)}."""
    rng = random.Random(seed)
    lines = []
    for group in groups_of(name):
        for _ in range(per_group or POOL_SIZES[name]):
            record = candidate(name, rng, group)
            record["ts"] = stamp(len(lines))
            record[TOPOLOGIES[name]["person"]] = f"pool{len(lines)}"
            lines.append(record)
    out = replay(steward, name, lines, pathlib.Path(workdir) / f"pool-{name}", "11" * 32)
    pool = {}
    for event in read_topic(out, "sanitized"):
        record = event["data"]
        original = lines[int(event.get("offset", -1))] if "offset" in event else None
        flagged = record["scoring"]["positive"]
        source = original or record
        group = tuple(source[c] for c in TOPOLOGIES[name]["columns"])
        entry = {k: v for k, v in source.items() if k not in ("id", "ts", TOPOLOGIES[name]["person"])}
        # Kept as JSON text without its closing brace: a stream line adds its id and event time.
        text = json.dumps(entry, ensure_ascii=False)[:-1]
        pool.setdefault(group, ([], []))[0 if flagged else 1].append(text)
    for group, (positives, negatives) in pool.items():
        assert positives and negatives, f"{name} {group}: the model flags none or all of the candidates"
    return pool


def stream(name, pool, rng, windows, events_per_window, rate_of):
    """Records over `windows` steps of the topology's window step: events spread evenly, each in a
    uniformly drawn group, flagged with probability rate_of(step, group), each by a person of its own
    (the privacy unit is the person: these streams test detection, not bounding)."""
    _, step = window_minutes(name)
    groups = sorted(pool)
    seconds_per_event = step * 60 / events_per_window
    lines = []
    index = 0
    for w in range(windows):
        for i in range(events_per_window):
            group = rng.choice(groups)
            positives, negatives = pool[group]
            flagged = rng.random() < rate_of(w, group)
            record = rng.choice(positives if flagged else negatives)
            ts = stamp(int((w * events_per_window + i) * seconds_per_event))
            person = TOPOLOGIES[name]["person"]
            lines.append(f'{record}, "id": "s{index}", "{person}": "p{index}", "ts": "{ts}"}}')
            index += 1
    return lines


def alerts_of(out):
    return [event["data"] for event in read_topic(out, "alerts")]


def expected_events(name):
    return int(setting(name, r"expected_events_per_window: (\d+)"))


def reference_windows(name):
    return int(setting(name, r"reference_windows: (\d+)", 12))


def stationary_run(steward, name, windows, seed, workdir):
    """One stationary stream; returns its alerts."""
    rng = random.Random(seed)
    pool = POOLS[name]
    lines = stream(name, pool, rng, windows, expected_events(name), lambda w, g: BASE_RATE)
    out = replay(steward, name, lines, pathlib.Path(workdir) / f"stationary-{name}-{seed}", f"{seed:064x}")
    return alerts_of(out)


def drift_run(steward, name, shift, seed, workdir, drift_windows=None, after_windows=12):
    """One drifting stream: the reference period, 1–4 quiet windows, then one random value of the
    drifting column has its selection rate raised by `shift` for `drift_windows` windows, then
    removed for `after_windows` windows. Returns a dict with the delay (windows from the drift start
    to the close of the window whose evaluation fired the drift alert; None if none), the events of
    the shifted group in that time, alerts fired before the drift, whether the alert resolved after
    the drift was removed, and the alert itself."""
    rng = random.Random(seed)
    pool = POOLS[name]
    column = TOPOLOGIES[name]["drift"]
    columns = list(TOPOLOGIES[name]["columns"])
    drifted = rng.choice(TOPOLOGIES[name]["columns"][column])
    size, step = window_minutes(name)
    # The baseline is ready once `reference_windows` windows closed: one closes every step once the
    # first one (size // step steps) has.
    reference = reference_windows(name) + size // step - 1
    start = reference + size // step + rng.randint(1, 4)
    n = expected_events(name)
    per_group = n / len(TOPOLOGIES[name]["columns"][column])
    if drift_windows is None:
        drift_windows = 12
    end = start + drift_windows
    total = end + after_windows

    def rate(w, group):
        shifted = start <= w < end and group[columns.index(column)] == drifted
        return BASE_RATE + (shift if shifted else 0)
    lines = stream(name, pool, rng, total, n, rate)
    out = replay(steward, name, lines, pathlib.Path(workdir) / f"drift-{name}-{seed}", f"{seed + 10**6:064x}")
    alerts = alerts_of(out)
    start_ms = int((START + datetime.timedelta(minutes=start * step)).timestamp() * 1000)
    end_ms = int((START + datetime.timedelta(minutes=end * step)).timestamp() * 1000)
    early = [a for a in alerts if a["status"] == "firing" and a["window"]["end"] <= start_ms]
    fired = [a for a in alerts if a["status"] == "firing" and a["rule"] == "drift" and a["window"]["end"] > start_ms
             and a["attribute"] == column]
    result = {"seed": seed, "drifted": drifted, "early": early, "delay": None, "events": None, "resolved": False,
              "alert": None, "others": [a for a in alerts if a not in early and a["attribute"] != column]}
    if fired:
        first = fired[0]
        delay = (first["window"]["end"] - start_ms) // (step * 60_000)
        result.update(delay=delay, events=delay * per_group, alert=first)
        result["resolved"] = any(a["status"] == "resolved" and a["dedup_key"] == first["dedup_key"]
                                 and a["window"]["end"] > end_ms for a in alerts)
    return result


POOLS = {}


def load_pool(steward, name, workdir):
    if name not in POOLS:
        POOLS[name] = build_pool(steward, name, workdir)
    return POOLS[name]


def parallel(function, jobs, workers=2):
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as executor:
        return list(executor.map(lambda args: function(*args), jobs))


def quantile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steward", default=str(ROOT / ".build" / "release" / "steward"))
    parser.add_argument("--topology", choices=sorted(TOPOLOGIES), required=True)
    parser.add_argument("--kind", choices=["drift", "stationary"], default="drift")
    parser.add_argument("--shift", type=float, default=0.2)
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--windows", type=int, default=600, help="stationary: windows per stream")
    parser.add_argument("--drift-windows", type=int, default=None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        load_pool(args.steward, args.topology, workdir)
        if args.kind == "stationary":
            runs = parallel(lambda s: stationary_run(args.steward, args.topology, args.windows, s, workdir),
                            [(args.seed + i,) for i in range(args.trials)], args.workers)
            alerts = sum(len(r) for r in runs)
            print(json.dumps({"topology": args.topology, "streams": args.trials, "windows": args.windows,
                              "alerts": alerts, "streams_with_alerts": sum(1 for r in runs if r)}))
            return
        runs = parallel(lambda s: drift_run(args.steward, args.topology, args.shift, s, workdir,
                                            drift_windows=args.drift_windows),
                        [(args.seed + i,) for i in range(args.trials)], args.workers)
        # A stream not detected within its drift counts as beyond every delay (None in the output).
        delays = [r["delay"] if r["delay"] is not None else math.inf for r in runs]
        events = [r["events"] if r["events"] is not None else math.inf for r in runs]

        def figure(values, q):
            value = quantile(values, q)
            return None if value == math.inf else value
        print(json.dumps({
            "topology": args.topology, "shift": args.shift, "trials": args.trials,
            "detected": sum(1 for d in delays if d != math.inf), "early_alerts": sum(len(r["early"]) for r in runs),
            "delay_windows": {"median": figure(delays, 0.5), "p90": figure(delays, 0.9),
                              "p95": figure(delays, 0.95), "max": figure(delays, 1.0)},
            "delay_group_events": {"median": figure(events, 0.5), "p90": figure(events, 0.9),
                                   "p95": figure(events, 0.95)},
            "resolved": sum(1 for r in runs if r["resolved"]),
            "other_attribute_alerts": sum(len(r["others"]) for r in runs)}))


if __name__ == "__main__":
    main()
