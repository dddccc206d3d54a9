#!/usr/bin/env python3
"""A numpy model of the shipped drift test (`drift.test: likelihood_ratio`, Sources/Fairness/Drift/SpanShiftTest.swift)
on clicks' country series, used to choose its design (Docs/fairness.md, "What moved it").

G groups of n events per 10-minute step, selection rate p; hopping windows of two steps; the first `ref` windows
form the baseline; then one group's rate rises by `shift`. Each run of k windows ending at a window gets Gaussian
DP noise of s.d. `sigma` on its positives and totals. Tests: ordered pairs (alternative "reached the worst pair
baseline + shift") and each group against the mean of the others (alternative "moved by shift"), as likelihood
ratios against H = z^2/2 with the union-bound z. Prints, per variant, the delay (steps) median / p90 and the share
of streams caught within 6 steps (1,800 events of the group at 300 per step).

    .venv/bin/python scripts/fairness/span_test_model.py --trials 800 --seed 5

Figures of 2026-12-07 (800 trials, seed 5; 400 for the first two): pairs only 0.79, with contrasts 0.875, plus the
exact hopping-window variance 0.91, plus run lengths 5 and 7 0.96. The real streams are caught a little later.
"""
import argparse

import numpy as np
from scipy.stats import norm

OLD_GRID = (1, 2, 3, 4, 6, 8, 12, 16, 24)
GRID = (1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 24)


def delays(trials, seed, G=7, n=300, p=0.3, shift=0.1, far=1e-5, grid=GRID, exact=True, pairs=True,
           contrasts=True, ref=36, sigma=13.0, steps=12):
    rng = np.random.default_rng(seed)
    tests = (G * (G - 1) if pairs else 0) + (2 * G if contrasts else 0)
    z = norm.isf(far / (len(grid) * tests))
    H = z * z / 2
    m = G - 1
    off = ~np.eye(G, dtype=bool)
    found = []
    for _ in range(trials):
        # Reference: `ref` hopping windows over ref + 1 steps (inner steps counted twice).
        counts = rng.binomial(n, p, size=(ref + 1, G))
        c = np.full(ref + 1, 2.0)
        c[0] = c[-1] = 1
        pos = (counts * c[:, None]).sum(0) + rng.normal(0, sigma, G)
        tot = n * c.sum() + rng.normal(0, sigma, G)
        rb = pos / tot
        vb = ((2 - 1 / ref) if exact else 2) * rb * (1 - rb) / tot + sigma ** 2 * (1 + rb ** 2) / tot ** 2
        B = rb.max() - rb.min()
        cb = rb - (rb.sum() - rb) / m
        cvb = vb + (vb.sum() - vb) / m ** 2
        rates = np.full(G, p)
        rates[0] = p + shift
        S = steps + max(grid) + 1
        st = np.vstack([rng.binomial(n, p, size=(1, G)), rng.binomial(n, rates, size=(S, G))])
        delay = 99
        for t in range(1, S):  # the window ending at step t holds steps t - 1 and t; step 1 is the first drifted
            fire = False
            for k in grid:
                if k > t:
                    continue
                w = np.full(k + 1, 2.0)
                w[0] = w[-1] = 1
                P = (st[t - k:t + 1] * w[:, None]).sum(0) + rng.normal(0, sigma, G)
                T = n * w.sum() + rng.normal(0, sigma, G)
                r = P / T
                v = ((2 - 1 / k) if exact else 2) * r * (1 - r) / T + sigma ** 2 * (1 + r ** 2) / T ** 2
                if pairs:
                    X, b = r[:, None] - r[None, :], rb[:, None] - rb[None, :]
                    V = v[:, None] + v[None, :] + vb[:, None] + vb[None, :]
                    d = B + shift - b
                    fire |= bool((d / V * (X - b - d / 2))[off].max() > H)
                if contrasts:
                    C = r - (r.sum() - r) / m
                    CV = v + (v.sum() - v) / m ** 2 + cvb
                    for s in (1, -1):
                        fire |= bool((shift / CV * (s * (C - cb) - shift / 2)).max() > H)
                if fire:
                    break
            if fire:
                delay = t
                break
        found.append(delay)
    return np.array(found)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=800)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    variants = [
        ("pairs only", dict(contrasts=False, exact=False, grid=OLD_GRID)),
        ("with contrasts", dict(exact=False, grid=OLD_GRID)),
        ("plus exact hopping variance", dict(grid=OLD_GRID)),
        ("plus run lengths 5 and 7", dict()),
    ]
    for name, options in variants:
        d = delays(args.trials, args.seed, **options)
        print(f"{name}: median {np.median(d):.0f}, p90 {np.quantile(d, 0.9, method='higher')}, "
              f"within 6 steps {(d <= 6).mean():.3f}")


if __name__ == "__main__":
    main()
