"""`drift: {shift: ...}` in `steward fairness monitor`: the pairwise likelihood-ratio CUSUM, recomputed here from
each window's published group rates and variances (an independent implementation of the definition in
Docs/fairness.md), must give the statistic and threshold Steward reports, and alarm where it alarms."""

import math
import random

from test_fairness_monitor import monitor

SHIFT = 0.1
RATE = 1e-4
REFERENCE = 30


def log_arl(h, delta):
    x = h + 1.166 * delta
    return (x if x > 30 else math.log(math.exp(x) - x - 1)) - math.log(delta * delta / 2)


def threshold(pairs):
    """Smallest H whose Siegmund ARL, less the baseline-error term, reaches len(pairs) / RATE; max over pairs."""
    target = math.log(len(pairs) / RATE)

    def solve(d, variance, penalty):
        delta = abs(d) / math.sqrt(variance)
        high = min(200, 1 / (2 * penalty)) if penalty > 0 else 200
        if log_arl(high, delta) - penalty * high * high < target:
            return None
        low = 0.0
        for _ in range(100):
            middle = (low + high) / 2
            if log_arl(middle, delta) - penalty * middle * middle < target:
                low = middle
            else:
                high = middle
        return high

    result = []
    for d, variance, baseline_variance in pairs:
        penalty = 2 * baseline_variance / (d * d)
        h = solve(d, variance, penalty)
        result.append(h if h is not None else solve(d, variance, 0))
    return max(result)


def pair_values(report):
    rates = {group: values["selection_rate"] for group, values in report["by_group"].items()
             if values["sufficient"] and values["selection_rate"].get("value") is not None}
    return {(i, j): (rates[i]["value"] - rates[j]["value"],
                     rates[i]["sampling_variance"] + rates[j]["sampling_variance"]
                     + rates[i]["noise_variance"] + rates[j]["noise_variance"])
            for i in rates for j in rates if i != j}


class PairBaseline:
    def __init__(self):
        self.values, self.variances = [], []

    def learn(self, value, variance):
        self.values.append(value)
        self.variances.append(variance)

    @property
    def mean(self):
        return sum(self.values) / len(self.values)

    @property
    def dispersion(self):
        n = len(self.values)
        if n < 2:
            return 1.0
        sample = sum((v - self.mean) ** 2 for v in self.values) / (n - 1)
        ratio = sample / (sum(self.variances) / n)
        return ratio if ratio > 1 + 2 * math.sqrt(2 / (n - 1)) else 1.0


def test_pairwise_shift_test_matches_its_definition_and_alarms_after_the_shift(tmp_path):
    rng = random.Random(17)
    records = []
    per_window = 300
    for window in range(90):
        shifted = window >= 60
        for index in range(per_window):
            group = "abc"[index % 3]
            rate = {"a": 0.6, "b": 0.5, "c": 0.2 if shifted else 0.4}[group]
            records.append({"event_time": window * 1000 + index * 1000 // per_window, "race": group,
                            "approved": int(rng.random() < rate)})
    messages = monitor(tmp_path, f"""
mode: raw
sensitive: [race]
prediction: approved
window: {{type: tumbling, size: 1s}}
watermark: {{max_out_of_orderness: 0}}
min_group_size: 30
baseline: {{reference_windows: {REFERENCE}}}
drift: {{shift: {SHIFT}, false_alarm_rate: {RATE}}}
four_fifths: {{enabled: false}}
""", records)
    windows = [m for m in messages if m["type"] == "fairness.window"]
    alerts = [m for m in messages if m["type"] == "fairness.alert"]

    baselines = {}
    cusum = {}
    level = h = None
    fired_at = None
    for message in windows:
        status = message["drift"][0]
        values = pair_values(message["attributes"]["race"])
        if len(baselines) == 0 or len(next(iter(baselines.values())).values) < REFERENCE:
            for key, (value, variance) in values.items():
                baselines.setdefault(key, PairBaseline()).learn(value, variance)
            assert status["phase"] == "learning"
            continue
        if level is None:
            level = max(b.mean for b in baselines.values())
            h = threshold([(level + SHIFT - b.mean, b.dispersion * sum(b.variances) / len(b.values),
                            b.dispersion * sum(b.variances) / len(b.values) ** 2) for b in baselines.values()])
            cusum = {key: 0.0 for key in baselines}
        assert abs(status["baseline"] - level) < 1e-12
        assert abs(status["threshold"] - h) < 1e-9 * h
        if status["phase"] == "firing" and fired_at is not None:
            continue
        for key, baseline in baselines.items():
            value, variance = values[key]
            d = level + SHIFT - baseline.mean
            cusum[key] = max(0.0, cusum[key] + d / (baseline.dispersion * variance) * (value - baseline.mean - d / 2))
        if max(cusum.values()) > h:
            fired_at = message["index"]
            # The firing window reports the statistic that crossed the threshold; the CUSUM then resets.
            assert status["phase"] == "firing"
            assert abs(status["statistic"] - max(cusum.values())) <= 1e-9 * max(cusum.values())
            cusum = {key: 0.0 for key in cusum}
        else:
            assert abs(status["statistic"] - max(cusum.values())) <= 1e-9 * max(1.0, status["statistic"])

    assert fired_at is not None and fired_at >= 60, fired_at
    assert [a["status"] for a in alerts if a["rule"] == "drift"] == ["firing"]
    assert "likelihood-ratio CUSUM over 6 group pairs" in alerts[0]["summary"]
