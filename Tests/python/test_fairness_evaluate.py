"""`steward fairness evaluate` against Fairlearn 0.15 on generated data and on scikit-lego's arrests data."""

import functools
import json
import math
import os
import subprocess

import numpy as np
import pandas as pd
import pytest
from fairlearn import metrics as flm

STEWARD = os.environ.get("STEWARD_BIN", ".build/debug/steward")
TOLERANCE = 1e-9
DISPARITIES = {
    "demographic_parity_difference": flm.demographic_parity_difference,
    "demographic_parity_ratio": flm.demographic_parity_ratio,
    "equalized_odds_difference": flm.equalized_odds_difference,
    "equalized_odds_ratio": flm.equalized_odds_ratio,
    "equal_opportunity_difference": flm.equal_opportunity_difference,
    "equal_opportunity_ratio": flm.equal_opportunity_ratio,
}
LABEL_FREE = {"demographic_parity_difference", "demographic_parity_ratio"}


def run_evaluate(path, sensitive, prediction, label=None, extra=()):
    command = [STEWARD, "fairness", "evaluate", "--input", str(path), "--sensitive", ",".join(sensitive),
               "--prediction", prediction]
    if label:
        command += ["--label", label]
    result = subprocess.run(command + list(extra), capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def same(ours, theirs):
    if theirs is None or (isinstance(theirs, float) and math.isnan(theirs)):
        return ours is None
    return ours is not None and abs(ours - float(theirs)) <= TOLERANCE


def expected_groups(frame, sensitive):
    return frame[sensitive].astype(str).agg("|".join, axis=1)


def check_against_fairlearn(output, frame, sensitive, prediction, label):
    y_pred = frame[prediction].to_numpy()
    y_true = frame[label].to_numpy() if label else y_pred
    groups = expected_groups(frame, sensitive)
    functions = {"selection_rate": flm.selection_rate, "count": flm.count}
    if label:
        functions |= {"true_positive_rate": flm.true_positive_rate, "false_positive_rate": flm.false_positive_rate}
    frame_metrics = flm.MetricFrame(metrics=functions, y_true=y_true, y_pred=y_pred, sensitive_features=groups)
    assert sorted(output["by_group"]) == sorted(frame_metrics.by_group.index)
    for group, row in frame_metrics.by_group.iterrows():
        ours = output["by_group"][group]
        assert set(ours) == set(functions), ours
        for name in functions:
            assert same(ours[name], row[name]), (group, name, ours[name], row[name])
    for name, function in DISPARITIES.items():
        if not label and name not in LABEL_FREE:
            assert name not in output
            continue
        theirs = function(y_true, y_pred, sensitive_features=groups)
        assert same(output[name], theirs), (name, output[name], theirs)


def generated(seed, rows, with_empty_positives=False):
    rng = np.random.default_rng(seed)
    race = rng.choice(["a", "b", "c", "d"], size=rows, p=[0.5, 0.3, 0.15, 0.05])
    sex = rng.choice(["f", "m"], size=rows)
    base = {"a": 0.55, "b": 0.45, "c": 0.35, "d": 0.6}
    label = (rng.random(rows) < 0.4).astype(int)
    rate = np.array([base[r] for r in race]) + 0.2 * label
    prediction = (rng.random(rows) < rate).astype(int)
    score = np.round(rng.random(rows), 6)
    frame = pd.DataFrame({"race": race, "sex": sex, "label": label, "prediction": prediction, "score": score})
    if with_empty_positives:
        # A group with no positive labels: its TPR is 0 (scikit-learn's normalize="true") and the TPR ratio 0/0.
        extra = pd.DataFrame({"race": ["e"] * 5, "sex": ["f"] * 5, "label": [0] * 5, "prediction": [0, 1, 0, 0, 1],
                              "score": [0.5] * 5})
        frame = pd.concat([frame, extra], ignore_index=True)
    return frame


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("sensitive", [["race"], ["race", "sex"]])
def test_generated_csv_matches_fairlearn(tmp_path, seed, sensitive):
    frame = generated(seed, 3000)
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    check_against_fairlearn(run_evaluate(path, sensitive, "prediction", "label"), frame, sensitive, "prediction", "label")


def test_generated_jsonl_matches_fairlearn_and_csv(tmp_path):
    frame = generated(7, 2000)
    jsonl = tmp_path / "data.jsonl"
    frame.to_json(jsonl, orient="records", lines=True)
    csv = tmp_path / "data.csv"
    frame.to_csv(csv, index=False)
    from_jsonl = run_evaluate(jsonl, ["race", "sex"], "prediction", "label")
    check_against_fairlearn(from_jsonl, frame, ["race", "sex"], "prediction", "label")
    assert from_jsonl == run_evaluate(csv, ["race", "sex"], "prediction", "label")


def test_without_labels_only_label_free_metrics(tmp_path):
    frame = generated(11, 1500)
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    output = run_evaluate(path, ["race"], "prediction")
    check_against_fairlearn(output, frame, ["race"], "prediction", None)
    assert set(output) == {"by_group", "demographic_parity_difference", "demographic_parity_ratio"}


def test_group_without_positives_matches_fairlearn_nan(tmp_path):
    frame = generated(5, 400, with_empty_positives=True)
    frame = frame[frame["race"].isin(["a", "e"])]
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    output = run_evaluate(path, ["race"], "prediction", "label")
    check_against_fairlearn(output, frame, ["race"], "prediction", "label")
    assert output["by_group"]["e"]["true_positive_rate"] == 0


def test_mean_score_per_group(tmp_path):
    frame = generated(13, 800)
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    output = run_evaluate(path, ["race"], "prediction", extra=["--score", "score"])
    for group, mean in frame.groupby("race")["score"].mean().items():
        assert abs(output["by_group"][group]["mean_score"] - mean) <= TOLERANCE


@functools.lru_cache(maxsize=1)
def arrests():
    """scikit-lego's arrests data (shipped inside the wheel), with a logistic-regression prediction of release."""
    from sklearn.linear_model import LogisticRegression
    from sklego.datasets import load_arrests

    frame = load_arrests(as_frame=True)
    features = pd.DataFrame({
        "year": frame["year"], "age": frame["age"], "checks": frame["checks"],
        "employed": (frame["employed"] == "Yes").astype(int), "citizen": (frame["citizen"] == "Yes").astype(int),
    })
    label = (frame["released"] == "Yes").astype(int)
    model = LogisticRegression(max_iter=1000).fit(features, label)
    threshold = np.quantile(model.predict_proba(features)[:, 1], 0.3)
    predicted = (model.predict_proba(features)[:, 1] >= threshold).astype(int)
    return pd.DataFrame({"colour": frame["colour"].astype(str), "sex": frame["sex"].astype(str),
                         "released": label, "predicted": predicted})


@pytest.mark.parametrize("sensitive", [["colour"], ["sex"], ["colour", "sex"]])
def test_arrests_dataset_matches_fairlearn(tmp_path, sensitive):
    frame = arrests()
    path = tmp_path / "arrests.csv"
    frame.to_csv(path, index=False)
    output = run_evaluate(path, sensitive, "predicted", "released")
    check_against_fairlearn(output, frame, sensitive, "predicted", "released")


def test_positive_label_text(tmp_path):
    frame = arrests()
    text = frame.assign(released=np.where(frame["released"] == 1, "Yes", "No"),
                        predicted=np.where(frame["predicted"] == 1, "Yes", "No"))
    path = tmp_path / "arrests_text.csv"
    text.to_csv(path, index=False)
    output = run_evaluate(path, ["colour"], "predicted", "released", extra=["--positive", "Yes"])
    check_against_fairlearn(output, frame, ["colour"], "predicted", "released")


def test_bad_outcome_is_reported_with_its_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("g,p\na,1\nb,maybe\n")
    result = subprocess.run([STEWARD, "fairness", "evaluate", "--input", str(path), "--sensitive", "g",
                             "--prediction", "p"], capture_output=True, text=True)
    assert result.returncode != 0
    assert "bad.csv:3" in result.stderr and "maybe" in result.stderr


def test_csv_with_byte_order_mark_and_crlf(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbfg,p\r\na,1\r\nb,0\r\na,0\r\n")
    output = run_evaluate(path, ["g"], "p")
    assert output["by_group"] == {"a": {"count": 2, "selection_rate": 0.5}, "b": {"count": 1, "selection_rate": 0}}
    assert output["demographic_parity_difference"] == 0.5 and output["demographic_parity_ratio"] == 0
