#!/usr/bin/env python3
"""River's ADWIN and Page-Hinkley on the very streams `steward bench drift --emit DIR` measured.

Each stream is the sequence of per-window demographic parity differences computed from TEST-ONLY noisy counts
(the same windows Steward's test saw; Steward reads the groups' rates and their variances, river's detectors get
the metric's values only). Steward's own delays and stationary false alarms, written by the same bench run, are
printed first. Page-Hinkley's threshold is calibrated on the stationary stream (the smallest value with no alarm
there), so both sides work at a comparable false-alarm level; ADWIN is shown at its default delta and at a stricter
one.

Usage: python scripts/fairness/river_drift_compare.py DIR [--reference-windows 500] [--events-per-window 100]
"""

import argparse
import csv
import statistics
from collections import defaultdict

from river import drift


def read_trials(path):
    trials = defaultdict(list)
    with open(path) as handle:
        for row in csv.DictReader(handle):
            if row["value"]:
                trials[int(row["trial"])].append((int(row["events_per_group_since_shift"]), float(row["value"])))
    return trials


def read_stationary(path):
    with open(path) as handle:
        return [float(row["value"]) for row in csv.DictReader(handle) if row["value"]]


def run_detector(make, values, skip):
    """Indices (within values) where the detector flags drift, after feeding the first `skip` values as warm-up."""
    detector = make()
    alarms = []
    for index, value in enumerate(values):
        detector.update(value)
        if index >= skip and detector.drift_detected:
            alarms.append(index)
    return alarms


def delays(make, trials, skip):
    found, missed, early = [], 0, 0
    for rows in trials.values():
        values = [value for _, value in rows]
        since = [events for events, _ in rows]
        alarms = run_detector(make, values, skip)
        early += sum(1 for index in alarms if since[index] <= 0)
        after = [index for index in alarms if since[index] > 0]
        if after:
            found.append(since[after[0]])
        else:
            missed += 1
    return found, missed, early


def summary(name, found, missed, early, stationary_alarms, events):
    found.sort()
    if found:
        median = statistics.median(found)
        p90 = found[min(len(found) - 1, int(0.9 * len(found)))]
        p95 = found[min(len(found) - 1, int(0.95 * len(found)))]
        mean = statistics.fmean(found)
        text = f"mean {mean:.0f}, median {median:.0f}, p90 {p90}, p95 {p95}"
    else:
        text = "never detected"
    rate = stationary_alarms / events * 1e7 if events else float("nan")
    print(f"{name:<34} delay (events/group): {text}; missed {missed}; alarms before shift {early}; "
          f"stationary: {stationary_alarms} alarms in {events:,} events = {rate:.3g} per 10M")


def steward_summary(folder):
    """Steward's own result on these streams, as the bench wrote it."""
    with open(f"{folder}/steward_delays.csv") as handle:
        rows = list(csv.DictReader(handle))
    found = [int(row["delay_events_per_group"]) for row in rows if row["delay_events_per_group"]]
    with open(f"{folder}/steward_stationary.csv") as handle:
        stationary = next(csv.DictReader(handle))
    early = sum(int(row["alarms_before_shift"]) for row in rows)
    summary("Steward likelihood-ratio CUSUM", found, len(rows) - len(found), early, int(stationary["false_alarms"]),
            int(stationary["monitored_events"]))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("folder")
    parser.add_argument("--reference-windows", type=int, default=500)
    parser.add_argument("--events-per-window", type=int, default=100)
    parser.add_argument("--stationary-windows", type=int, default=200_000)
    arguments = parser.parse_args()
    trials = read_trials(f"{arguments.folder}/shift_trials.csv")
    stationary = read_stationary(f"{arguments.folder}/stationary.csv")[: arguments.stationary_windows]
    skip = arguments.reference_windows
    steward_summary(arguments.folder)
    # river's stationary run: the first stationary stream's windows after its reference period.
    events = (len(stationary) - skip) * arguments.events_per_window

    for name, make in [
        ("river ADWIN (delta=0.002, default)", lambda: drift.ADWIN()),
        ("river ADWIN (delta=1e-6)", lambda: drift.ADWIN(delta=1e-6)),
    ]:
        found, missed, early = delays(make, trials, skip)
        alarms = len(run_detector(make, stationary, skip))
        summary(name, found, missed, early, alarms, events)

    # Page-Hinkley (increases only): the smallest threshold (bisection) with no alarm on the stationary stream.
    def page_hinkley(threshold):
        return lambda: drift.PageHinkley(min_instances=skip, delta=0.005, threshold=threshold, mode="up")

    low, high = 0.0, 20.0
    if run_detector(page_hinkley(high), stationary, skip):
        print("river Page-Hinkley: even threshold 20 alarms on the stationary stream")
        return
    for _ in range(14):
        middle = (low + high) / 2
        if run_detector(page_hinkley(middle), stationary, skip):
            low = middle
        else:
            high = middle
    chosen = high
    make = lambda: drift.PageHinkley(min_instances=skip, delta=0.005, threshold=chosen, mode="up")
    found, missed, early = delays(make, trials, skip)
    summary(f"river Page-Hinkley (threshold={chosen:.2f})", found, missed, early, 0, events)
    default = lambda: drift.PageHinkley(mode="up")
    found, missed, early = delays(default, trials, skip)
    alarms = len(run_detector(default, stationary, skip))
    summary("river Page-Hinkley (defaults)", found, missed, early, alarms, events)


if __name__ == "__main__":
    main()
