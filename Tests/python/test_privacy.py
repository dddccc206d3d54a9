"""Reference tests of `steward privacy` against independent tools.

- The zCDP accountant (composition and the tight ρ → (ε, δ) conversion) against Google's
  dp-accounting (RDP accountant of Gaussian events: a Gaussian with noise multiplier m is
  1/(2m²)-zCDP, i.e. Rényi divergence α/(2m²) at every order).
- The `privacy simulate` contract: N lines of T comma-separated prefix sums, reproducible from
  --seed, and its empirical error against an accuracy computed here from the raw runs.
"""
import json
import math
import os
import subprocess

import numpy as np
import pytest

BIN = os.environ.get("STEWARD_BIN", ".build/debug/steward")


def steward(*args, stdin=None):
    out = subprocess.run([BIN, *args], input=stdin, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    return out.stdout


def reference_epsilon(rho, series, delta):
    # Only the accountant comparison needs dp-accounting (requirements-privacy.txt); the simulate
    # tests run without it.
    dp_accounting = pytest.importorskip("dp_accounting")
    from dp_accounting import rdp
    orders = np.concatenate([np.linspace(1.001, 2, 400), np.linspace(2, 64, 4000), np.geomspace(64, 1e5, 2000)])
    accountant = rdp.RdpAccountant(orders=list(orders))
    event = dp_accounting.GaussianDpEvent(noise_multiplier=1.0 / math.sqrt(2 * rho))
    accountant.compose(dp_accounting.ComposedDpEvent([event] * series))
    return accountant.get_epsilon(delta)


@pytest.mark.parametrize("rho,series,delta", [
    (0.5, 1, 1e-6), (0.05, 4, 1e-6), (0.01, 1, 1e-9), (1.0, 3, 1e-5), (0.125, 16, 1e-7),
])
def test_accountant_matches_dp_accounting(rho, series, delta):
    got = json.loads(steward("privacy", "budget", "--rho", str(rho), "--series", str(series),
                             "--delta", str(delta)))
    assert got["rho"] == pytest.approx(rho * series, rel=1e-12)
    ref = reference_epsilon(rho, series, delta)
    # Same conversion; ours optimises over continuous α, theirs over a dense grid of orders.
    assert got["epsilon"] <= ref + 1e-9
    assert got["epsilon"] == pytest.approx(ref, rel=2e-3)


def simulate(mechanism, increments, runs, seed, rho=0.5, summary=False):
    stdin = "\n".join(str(x) for x in increments) + "\n"
    args = ["privacy", "simulate", "--mechanism", mechanism, "--rho", str(rho), "--steps",
            str(len(increments)), "--runs", str(runs), "--seed", str(seed)]
    return steward(*args, *(["--summary"] if summary else []), stdin=stdin)


@pytest.mark.parametrize("mechanism", ["tree", "honaker", "sqrt", "blt"])
def test_simulate_contract_and_accuracy(mechanism):
    rng = np.random.default_rng(4)
    steps, runs = 256, 200
    increments = rng.integers(0, 10, steps)
    text = simulate(mechanism, increments, runs, seed=17)
    lines = text.strip("\n").split("\n")
    assert len(lines) == runs
    values = np.array([[float(v) for v in line.split(",")] for line in lines])
    assert values.shape == (runs, steps)
    # Reproducible from the seed; a different seed gives different noise.
    assert simulate(mechanism, increments, runs, seed=17) == text
    assert simulate(mechanism, increments, 2, seed=18).split("\n")[0] != lines[0]
    truth = np.cumsum(increments)
    rmse = np.sqrt(np.mean((values - truth) ** 2, axis=0))
    summary = simulate(mechanism, increments, runs, seed=17, summary=True).strip().split("\n")
    header, row = summary[0].split(","), summary[1].split(",")
    assert header == ["mechanism", "rho", "steps", "runs", "max_rmse", "mean_rmse",
                      "theory_max_rmse", "theory_mean_rmse"]
    rec = dict(zip(header, row))
    assert rec["mechanism"] == mechanism
    assert float(rec["max_rmse"]) == pytest.approx(rmse.max(), rel=1e-9)
    assert float(rec["mean_rmse"]) == pytest.approx(rmse.mean(), rel=1e-9)
    # Mean over steps of the per-step RMSE is within sampling error of the theory.
    assert rmse.mean() == pytest.approx(float(rec["theory_mean_rmse"]), rel=0.06)
    # Noise is unbiased.
    err = (values - truth).mean()
    assert abs(err) < 5 * float(rec["theory_max_rmse"]) / math.sqrt(runs)


def test_simulate_rejects_bad_input():
    out = subprocess.run([BIN, "privacy", "simulate", "--mechanism", "blt", "--rho", "0.5", "--steps", "3",
                          "--runs", "1", "--seed", "1"], input="1\n-2\n3\n", capture_output=True, text=True)
    assert out.returncode != 0 and "non-negative" in out.stderr
