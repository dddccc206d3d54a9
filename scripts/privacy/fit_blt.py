#!/usr/bin/env python3
"""Fit Buffered Linear Toeplitz (BLT) strategies for continual counting.

The strategy matrix C is lower-triangular Toeplitz with generating function
    c(x) = 1 + sum_i omega_i * x / (1 - theta_i * x)
(Dvijotham, McMahan, Pillutla, Steinke, Thakurta 2024, arXiv 2404.16706).
The published prefix sums are A C^{-1} (C x + z), so for horizon n the
single-participation max-RMSE (noise scale 1) is the RMSE at the last step,
    sqrt(sens2(n) * rows2(n)),
    sens2(n) = sum_{k<n} c_k^2               (squared column norm of C),
    rows2(n) = sum_{m<n} R_m^2               (squared last row of A C^{-1}),
where R(x) = 1 / (c(x) (1 - x)).

Both sums are evaluated in closed form without ever expanding a polynomial
(expanded polynomials are ill-conditioned when several theta lie within 1e-5
of 1, and an optimiser exploits that error). Everything is written in terms of
u_i = 1 - theta_i, so decays near 1 keep their relative precision:

- sens2: geometric sums over the pairs (i, j), with 1 - theta_i theta_j
  = u_i + u_j - u_i u_j and q^n evaluated as exp(n log1p(-gap)).
- rows2: 1/c(x) is again a BLT, 1 + sum_j beta_j x / (1 - lambda_j x). Its
  decays are the roots of the secular equation 1 + sum_i omega_i / (u_i - mu) = 0
  (mu = 1 - lambda), one between consecutive u_i and one above the largest; each
  is found by bracketing measured from the nearer pole (as LAPACK's dlaed4 does),
  so u_i - mu_j never suffers cancellation. Then beta_j = -1 / sum_i omega_i /
  (u_i - mu_j)^2, R_m = a_0 + sum_j a_j lambda_j^m with a_j = -beta_j / mu_j and
  a_0 = 1 / c(1), and rows2 is a sum of positive geometric sums.

The closed form is checked against the O(n d) recursion the engine uses.

Each tabulated row serves every horizon from the previous row's (exclusive) up
to its own, so a row is fitted to minimise the worst ratio to the square-root
factorization over a grid of horizons in its band, with the parameters in
log-space (log u_i, log omega_i).

Usage: fit_blt.py [--buffers 5] [--horizons 10,14,16,20,21,22,23,24] [--swift OUT]
"""
import argparse
import math

import numpy as np
from scipy.optimize import brentq, minimize
from scipy.special import gammaln


def geometric(gap, n):
    """sum_{m<n} q^m for q = 1 - gap, 0 < gap < 2."""
    if gap < 0.5:
        return -math.expm1(n * math.log1p(-gap)) / gap
    return (1.0 - (1.0 - gap) ** n) / gap


def sens2(u, omega, n):
    total = 1.0
    for i in range(len(u)):
        for j in range(len(u)):
            total += omega[i] * omega[j] * geometric(u[i] + u[j] - u[i] * u[j], n - 1)
    return total


def inverse_decays(u, omega):
    """Roots mu_j of 1 + sum_i omega_i / (u_i - mu) = 0 and distances D[i, j] = u_i - mu_j.

    None if a root would leave (0, 2), i.e. the inverse would not be stable."""
    order = np.argsort(u)
    us, ws = u[order], omega[order]
    d = len(u)
    mus = np.empty(d)
    distances = np.empty((d, d))
    for k in range(d):
        a = us[k]

        def f(origin, delta):
            return 1.0 + float(np.sum(ws / ((us - origin) - delta)))

        if k + 1 < d:
            half = (us[k + 1] - a) / 2
            if f(a, half) > 0:
                origin, lo, hi = a, half * 1e-30, half
            else:
                origin, lo, hi = us[k + 1], -half, -half * 1e-30
        else:
            origin, lo, hi = a, 1e-30, 1.0
            while f(a, hi) < 0:
                hi *= 2
                if a + hi > 4:
                    return None
        delta = brentq(lambda x: f(origin, x), lo, hi, xtol=1e-300, rtol=1e-15, maxiter=500)
        mus[k] = origin + delta
        distances[order, k] = (us - origin) - delta
    if np.any(mus <= 0) or np.any(mus >= 2):
        return None
    return mus, distances


def rows2(u, omega, n):
    roots = inverse_decays(u, omega)
    if roots is None:
        return math.inf
    mu, distances = roots
    beta = -1.0 / np.sum(omega[:, None] / distances**2, axis=0)
    a = -beta / mu
    a0 = 1.0 / (1.0 + float(np.sum(omega / u)))
    total = a0 * a0 * n
    for j in range(len(mu)):
        total += 2 * a0 * a[j] * geometric(mu[j], n)
        for k in range(len(mu)):
            total += a[j] * a[k] * geometric(mu[j] + mu[k] - mu[j] * mu[k], n)
    return total


def rows2_direct(theta, omega, n):
    """O(n d) recursion (what the engine computes), used to check the closed form."""
    state = np.zeros(len(theta))
    total, partial = 0.0, 0.0
    for t in range(n):
        r = (1.0 if t == 0 else 0.0) - float(np.dot(omega, state))
        state = theta * state + r
        partial += r
        total += partial * partial
    return total


def blt_loss(u, omega, n):
    r = rows2(u, omega, n)
    return math.sqrt(sens2(u, omega, n) * r) if math.isfinite(r) else math.inf


_sqrt_cache = {}


def sqrt_loss(n):
    """max-RMSE of the square-root factorization at noise scale 1: sum_{k<n} c_k^2 (its column
    norm and its last row norm are both sqrt of that), c_k = binom(2k, k) / 4^k
    = Gamma(k + 1/2) / (sqrt(pi) Gamma(k + 1))."""
    if n not in _sqrt_cache:
        k = np.arange(n, dtype=np.float64)
        log_c = gammaln(k + 0.5) - gammaln(k + 1.0) - 0.5 * math.log(math.pi)
        _sqrt_cache[n] = float(np.sum(np.exp(2 * log_c)))
    return _sqrt_cache[n]


def band(previous_log2, log2):
    """Horizons checked for a row serving (2^previous_log2, 2^log2]."""
    low = 2**previous_log2 + 1 if previous_log2 >= 0 else 1
    points = {low, 2**log2}
    for j in range(4 * max(previous_log2, 0) + 1, 4 * log2):
        points.add(int(round(2 ** (j / 4))))
    return sorted(p for p in points if low <= p <= 2**log2)


def worst_log_ratio(x, horizons, d):
    u, omega = np.exp(x[:d]), np.exp(x[d:])
    if np.any(u >= 1):
        return 10.0
    worst = -math.inf
    for n in horizons:
        value = blt_loss(u, omega, n)
        if not math.isfinite(value):
            return 10.0
        worst = max(worst, math.log(value / sqrt_loss(n)))
    return worst


def start(n, d, rng=None):
    """Sum-of-exponentials start: 1/sqrt(pi k) = int e^{-k s} s^{-1/2} ds / pi."""
    u = np.geomspace(1.0 / n, 0.5, d)
    omega = 0.5 * np.sqrt(u)
    if rng is not None:
        u = u * np.exp(rng.normal(0, 0.7, d))
        omega = omega * np.exp(rng.normal(0, 0.5, d))
    return np.concatenate([np.log(np.clip(u, 1e-12, 0.9)), np.log(omega)])


def fit(horizons, d, starts):
    # A few key horizons first (cheap), then the whole band from the best point.
    coarse = sorted({horizons[0], horizons[len(horizons) // 2], horizons[-1]})
    best = None
    for x0 in starts:
        res = minimize(worst_log_ratio, x0, args=(coarse, d), method="Nelder-Mead",
                       options={"maxfev": 3000, "xatol": 1e-9, "fatol": 1e-12, "adaptive": True})
        if best is None or res.fun < best.fun:
            best = res
    x = best.x
    for _ in range(2):
        x = minimize(worst_log_ratio, x, args=(horizons, d), method="Nelder-Mead",
                     options={"maxfev": 3000, "xatol": 1e-10, "fatol": 1e-13, "adaptive": True}).x
        x = minimize(worst_log_ratio, x, args=(horizons, d), method="Powell",
                     options={"xtol": 1e-10, "ftol": 1e-13, "maxfev": 3000}).x
    u, omega = np.exp(x[:d]), np.exp(x[d:])
    order = np.argsort(u)
    return u[order], omega[order], x


def read_table(path):
    """(log2 horizon, source lines) of each row of a generated Swift table, comment lines included."""
    rows, pending = [], []
    for line in open(path):
        stripped = line.strip()
        if stripped.startswith("// ") and rows is not None and line.startswith("        //"):
            pending.append(line)
        elif stripped.startswith("(") and stripped[1:].split(",")[0].isdigit():
            rows.append((int(stripped[1:].split(",")[0]), pending + [line]))
            pending = []
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--buffers", type=int, default=5)
    ap.add_argument("--horizons", default="10,14,16,20,21,22,23,24", help="comma-separated log2 horizons")
    ap.add_argument("--starts", type=int, default=4, help="random starts per row (besides the default and warm)")
    ap.add_argument("--keep", help="Swift table whose rows below the first fitted horizon are kept verbatim")
    ap.add_argument("--swift")
    args = ap.parse_args()
    d = args.buffers
    theta_check, omega_check = np.array([0.9999995, 0.99, 0.9, 0.5]), np.array([0.001, 0.1, 0.05, 0.2])
    for n in (300, 5000):
        closed, direct = rows2(1 - theta_check, omega_check, n), rows2_direct(theta_check, omega_check, n)
        assert abs(closed / direct - 1) < 1e-10, (closed, direct)
    logs = [int(v) for v in args.horizons.split(",")]
    kept = [row for row in read_table(args.keep) if row[0] < logs[0]] if args.keep else []
    rows = []
    warm = None
    previous = kept[-1][0] if kept else -1
    for k in logs:
        horizons = band(previous, k)
        rng = np.random.default_rng(k)
        starts = [start(2**k, d)] + [start(2**k, d, rng) for _ in range(args.starts)]
        if warm is not None:
            starts.append(warm)
        u, omega, warm = fit(horizons, d, starts)
        theta = 1.0 - u
        # Ratios for the tabulated (rounded) theta, as the engine sees them.
        ratios = [(blt_loss(1.0 - theta, omega, n) / sqrt_loss(n), n) for n in horizons]
        worst, at = max(ratios)
        last = ratios[-1][0]
        print(f"2^{k}: ratio to sqrt {last:.5f} at 2^{k}; worst over the band {worst:.5f} at n={at}", flush=True)
        rows.append((k, theta, omega, last, worst, blt_loss(1.0 - theta, omega, 2**k), sqrt_loss(2**k)))
        previous = k
    if args.swift:
        with open(args.swift, "w") as f:
            f.write("// Generated by scripts/privacy/fit_blt.py; do not edit by hand.\n")
            f.write("// Columns: log2 horizon, theta (buffer decays), omega (output weights). Comments: max-RMSE\n")
            f.write("// at noise scale 1 at the row's horizon vs the square-root factorization's, and the worst\n")
            f.write("// ratio over the horizons the row serves (the previous row's horizon, exclusive, to its own).\n\n")
            f.write("extension BLTParameters {\n")
            if kept:
                f.write(f"    /// BLT strategies for horizons 2^{kept[0][0]} ... 2^{logs[-1]}: rows up to 2^{kept[-1][0]} "
                        f"kept from the\n    /// previous table, rows from 2^{logs[0]} fitted with {d} buffers.\n")
            else:
                f.write(f"    /// BLT strategies with {d} buffers fitted for horizons 2^{logs[0]} ... 2^{logs[-1]}.\n")
            f.write("    static let fitted: [(log2Horizon: Int, theta: [Double], omega: [Double])] = [\n")
            for _, lines in kept:
                f.writelines(lines)
            for k, theta, omega, last, worst, value, ref in rows:
                ts = ", ".join(repr(float(x)) for x in theta)
                ws = ", ".join(repr(float(x)) for x in omega)
                f.write(f"        // {value:.5f} vs sqrt {ref:.5f}; worst ratio over the band {worst:.4f}\n")
                f.write(f"        ({k}, [{ts}], [{ws}]),\n")
            f.write("    ]\n}\n")


if __name__ == "__main__":
    main()
