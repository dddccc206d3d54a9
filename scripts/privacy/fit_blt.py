#!/usr/bin/env python3
"""Fit Buffered Linear Toeplitz (BLT) strategies for continual counting.

The strategy matrix C is lower-triangular Toeplitz with generating function
    c(x) = 1 + sum_i omega_i * x / (1 - theta_i * x)
(Dvijotham, McMahan, Pillutla, Steinke, Thakurta 2024, arXiv 2404.16706).
The published prefix sums are A C^{-1} (C x + z), so for horizon n the
single-participation max-RMSE (noise scale 1) is
    sqrt(sens2(n) * rows2(n)),
    sens2(n) = sum_{k<n} c_k^2               (squared column norm of C),
    rows2(n) = sum_{m<n} R_m^2               (squared last row of A C^{-1}),
where R(x) = 1 / (c(x) (1 - x)). Both sums have closed forms from the
rational generating functions, so a fit takes well under a second.

Usage: fit_blt.py [--buffers 4] [--min-log2 4] [--max-log2 24] [--swift OUT]
"""
import argparse
import math

import numpy as np
from scipy.optimize import minimize


def sens2(theta, omega, n):
    tt = np.outer(theta, theta)
    ww = np.outer(omega, omega)
    return 1.0 + float(np.sum(ww * (1.0 - tt ** (n - 1)) / (1.0 - tt)))


def rows2(theta, omega, n):
    d = len(theta)
    # Q(x) = prod (1 - theta_i x); P(x) = Q(x) + x sum_i omega_i prod_{j!=i} (1 - theta_j x)
    # Coefficient arrays are highest degree first (numpy convention).
    # np.poly gives prod (x - t_i) highest degree first, which read lowest degree first is
    # prod (1 - t_i x).
    q = np.poly(theta) * 1.0
    p = np.concatenate([q, [0.0]])
    for i in range(d):
        others = np.poly(np.delete(theta, i))  # prod_{j!=i} (1 - theta_j x), lowest first
        p[1:len(others) + 1] += omega[i] * others
    roots = np.roots(p[::-1])
    lam = 1.0 / roots.astype(complex)
    if np.any(np.abs(lam) >= 1.0):
        return math.inf
    mu = np.concatenate([[1.0 + 0j], lam])
    qh = q[::-1]
    ratio = mu[None, :] / mu[:, None]
    np.fill_diagonal(ratio, 0.0)
    a = np.polyval(qh, 1.0 / mu) / np.prod(1.0 - ratio, axis=1)
    mm = np.outer(mu, mu)
    aa = np.outer(a, a)
    with np.errstate(divide="ignore", invalid="ignore"):
        geo = np.where(np.abs(1.0 - mm) < 1e-300, n, (1.0 - mm ** n) / (1.0 - mm))
    return float(np.real(np.sum(aa * geo)))


def rows2_direct(theta, omega, n):
    """O(n d) recursion, used to check the closed form."""
    state = np.zeros(len(theta))
    total, partial = 0.0, 0.0
    for _ in range(n):
        # r_t solves (C r)_t = [t == 0]; C^{-1} column via the BLT recurrence.
        r = (1.0 if _ == 0 else 0.0) - float(np.dot(omega, state))
        state = theta * state + r
        partial += r
        total += partial * partial
    return total


def sqrt_loss(n):
    c, s = 1.0, 0.0
    for k in range(n):
        s += c * c
        c *= (2 * k + 1) / (2 * k + 2)
    return s  # max-RMSE of the square-root factorization at noise scale 1


def loss(params, n, d):
    theta = 1.0 / (1.0 + np.exp(-params[:d]))
    omega = np.exp(params[d:])
    r = rows2(theta, omega, n)
    if not math.isfinite(r) or r <= 0:
        return 1e6
    return 0.5 * math.log(sens2(theta, omega, n) * r)


def fit(n, d, starts=2, seed=1, warm=None):
    rng = np.random.default_rng(seed)
    best = None
    if warm is not None:
        best = minimize(loss, warm, args=(n, d), method="BFGS")
        best = minimize(loss, best.x, args=(n, d), method="Nelder-Mead",
                        options={"maxfev": 1500, "xatol": 1e-10, "fatol": 1e-14})
    for s in range(starts if warm is None else 0):
        # Sum-of-exponentials start: 1/sqrt(pi k) = int e^{-k u} u^{-1/2} du / pi.
        us = np.geomspace(1.0 / n, 1.0, d) * (1.0 if s == 0 else np.exp(rng.normal(0, 0.5, d)))
        us = np.clip(us, 1e-9, 5.0)
        theta0 = np.exp(-us)
        omega0 = np.full(d, 1.0 / d) * (1.0 if s == 0 else np.exp(rng.normal(0, 0.5, d)))
        x0 = np.concatenate([np.log(theta0 / (1 - theta0)), np.log(omega0)])
        res = minimize(loss, x0, args=(n, d), method="Nelder-Mead",
                       options={"maxiter": 3000, "maxfev": 3000, "xatol": 1e-10, "fatol": 1e-14})
        res = minimize(loss, res.x, args=(n, d), method="BFGS")
        if best is None or res.fun < best.fun:
            best = res
    theta = 1.0 / (1.0 + np.exp(-best.x[:d]))
    omega = np.exp(best.x[d:])
    order = np.argsort(-theta)
    return theta[order], omega[order], math.exp(best.fun), best.x


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--buffers", type=int, default=4)
    ap.add_argument("--min-log2", type=int, default=4)
    ap.add_argument("--max-log2", type=int, default=24)
    ap.add_argument("--horizons", help="comma-separated log2 horizons (overrides min/max)")
    ap.add_argument("--swift")
    args = ap.parse_args()
    d = args.buffers
    # self-check of the closed form against the recursion
    th, om = np.array([0.9, 0.5, 0.1, 0.99]), np.array([0.2, 0.1, 0.05, 0.01])
    assert abs(rows2(th, om, 300) / rows2_direct(th, om, 300) - 1) < 1e-9
    rows = []
    warm = None
    logs = ([int(v) for v in args.horizons.split(",")] if args.horizons
            else list(range(args.min_log2, args.max_log2 + 1)))
    for k in logs:
        n = 2 ** k
        theta, omega, rmse, warm = fit(n, d, warm=warm)
        ref = sqrt_loss(n)
        worst = max(math.sqrt(sens2(theta, omega, 2 ** j) * rows2(theta, omega, 2 ** j)) / sqrt_loss(2 ** j)
                    for j in range(2, k + 1))
        print(f"2^{k}: blt {rmse:.5f} sqrt {ref:.5f} ratio {rmse / ref:.5f} worst-shorter {worst:.5f}", flush=True)
        rows.append((k, theta, omega, rmse, ref))
    if args.swift:
        with open(args.swift, "w") as f:
            f.write("// Generated by scripts/privacy/fit_blt.py; do not edit by hand.\n")
            f.write("// Columns: log2 horizon, theta (buffer decays), omega (output weights),\n")
            f.write("// fitted max-RMSE at noise scale 1, square-root factorization max-RMSE.\n\n")
            f.write("extension BLTParameters {\n")
            f.write(f"    /// BLT strategies with {d} buffers fitted for horizons 2^{logs[0]} ... 2^{logs[-1]}.\n")
            f.write("    static let fitted: [(log2Horizon: Int, theta: [Double], omega: [Double])] = [\n")
            for k, theta, omega, rmse, ref in rows:
                ts = ", ".join(repr(float(x)) for x in theta)
                ws = ", ".join(repr(float(x)) for x in omega)
                f.write(f"        ({k}, [{ts}], [{ws}]),  // {rmse:.5f} vs sqrt {ref:.5f}\n")
            f.write("    ]\n}\n")


if __name__ == "__main__":
    main()
