"""Trains Steward's three shipped default models and writes their .onnx files and model cards.

Run by hand, never at build time:
    .venv/bin/python scripts/scoring/train_models.py [--out Models]

Data come from scripts/scoring/generate_data.py (synthetic, seeded); the cards say so.
Requires scikit-learn, skl2onnx, onnx (Tests/python/requirements-scoring.txt).
"""
import argparse
import hashlib
import json
import os
import sys

import numpy as np
import onnx
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generate_data import generate  # noqa: E402
from steward_features import featurize  # noqa: E402

TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}
COVERS_KEY = "steward.tree_node_covers"


def tree_estimators(model):
    """The sklearn trees in the order skl2onnx numbers them (binary classifiers)."""
    if isinstance(model, GradientBoostingClassifier):
        return [e[0] for e in model.estimators_]
    return list(model.estimators_)


def export(model, dimension):
    """ONNX model with float32 input [N, dimension]; tree ensembles also carry node covers for TreeSHAP."""
    onx = to_onnx(model, initial_types=[("input", FloatTensorType([None, dimension]))], target_opset=TARGET_OPSET)
    if hasattr(model, "estimators_"):
        trees = tree_estimators(model)
        node = next(n for n in onx.graph.node if n.op_type.startswith("TreeEnsemble"))
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        covers = [float(trees[t].tree_.weighted_n_node_samples[n])
                  for t, n in zip(attrs["nodes_treeids"], attrs["nodes_nodeids"])]
        entry = onx.metadata_props.add()
        entry.key = COVERS_KEY
        entry.value = json.dumps(covers)
    return onx


def yaml_scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    return json.dumps(v, ensure_ascii=False)


def write_yaml(obj, indent=0):
    pad = " " * indent
    out = []
    for k, v in obj.items():
        if isinstance(v, dict):
            out.append(f"{pad}{k}:")
            out.append(write_yaml(v, indent + 2))
        elif isinstance(v, list) and v and isinstance(v[0], dict):
            out.append(f"{pad}{k}:")
            for item in v:
                first = True
                for ik, iv in item.items():
                    out.append(f"{pad}  {'- ' if first else '  '}{ik}: {yaml_scalar(iv)}")
                    first = False
        elif isinstance(v, list):
            out.append(f"{pad}{k}: [{', '.join(yaml_scalar(x) for x in v)}]")
        else:
            out.append(f"{pad}{k}: {yaml_scalar(v)}")
    return "\n".join(out)


SPECS = {
    "chat-escalation": dict(
        kind="chats", target="escalated",
        features={"text": {"fields": ["message"], "n_features": 2**15, "ngram_range": [1, 2],
                           "alternate_sign": True, "norm": "l2", "lowercase": True}},
        make=lambda: LogisticRegression(C=4.0, max_iter=2000),
        card=dict(
            name="chat-escalation", owner="steward maintainers",
            intended_use="Rank customer-service chat messages by risk of escalation so that a human agent looks first "
                         "at the riskiest; a demonstration default for the chats topology.",
            out_of_scope_uses=["Automated decisions about a customer without human review",
                               "Any real customer-service traffic before retraining on real, consented data",
                               "Judging individual agents or customers"],
            labels=["calm", "escalate"], decision_threshold=0.5),
    ),
    "finance-sentiment": dict(
        kind="finance", target="sentiment",
        features={"text": {"fields": ["text"], "n_features": 2**15, "ngram_range": [1, 1],
                           "alternate_sign": True, "norm": "l2", "lowercase": True},
                  "categorical": {"fields": ["source"], "n_features": 16, "alternate_sign": True}},
        make=lambda: LogisticRegression(C=2.0, max_iter=2000),
        card=dict(
            name="finance-sentiment", owner="steward maintainers",
            intended_use="Tag short financial posts as positive or negative in tone for aggregate dashboards; "
                         "a demonstration default for the finance-posts topology.",
            out_of_scope_uses=["Trading or investment decisions", "Judging the author of a post",
                               "Languages and vocabularies outside the synthetic generator"],
            labels=["negative", "positive"], decision_threshold=0.5),
    ),
    "click-probability": dict(
        kind="clicks", target="clicked",
        features={"categorical": {"fields": ["country", "device", "category", "slot"], "n_features": 32,
                                  "alternate_sign": True},
                  "numeric": [{"field": "position"}, {"field": "price"}, {"field": "user_age_days"},
                              {"field": "hour"}]},
        make=lambda: GradientBoostingClassifier(n_estimators=100, max_depth=3, learning_rate=0.1, random_state=0),
        card=dict(
            name="click-probability", owner="steward maintainers",
            intended_use="Estimate the probability that a recommendation impression is clicked, for ranking "
                         "experiments; a demonstration default for the recommendation-clicks topology.",
            out_of_scope_uses=["Pricing or eligibility decisions about a person",
                               "Real traffic before retraining on real, consented data"],
            labels=["no_click", "click"], decision_threshold=0.5),
    ),
}


def write_card(card, path, header=""):
    with open(path, "w") as f:
        f.write(header + write_yaml(card) + "\n")


def train(name, out_dir, n_train=6000, n_test=2000):
    spec = SPECS[name]
    train_rows = generate(spec["kind"], n_train, seed=1)
    test_rows = generate(spec["kind"], n_test, seed=2)
    features = json.loads(json.dumps(spec["features"]))
    for n in features.get("numeric", []):
        x = np.array([float(r[n["field"]]) for r in train_rows])
        n["mean"] = float(x.mean())
        n["scale"] = float(x.std()) or 1.0
        n["default"] = float(np.median(x))
    X = featurize(train_rows, features)
    Xt = featurize(test_rows, features)
    y = np.array([r[spec["target"]] for r in train_rows])
    yt = np.array([r[spec["target"]] for r in test_rows])
    model = spec["make"]()
    dense = hasattr(model, "estimators_") or isinstance(model, (GradientBoostingClassifier, RandomForestClassifier))
    model.fit(X.toarray() if dense else X, y)
    p = model.predict_proba(Xt.toarray() if dense else Xt)[:, 1]
    onx = export(model, X.shape[1])
    onx.producer_name = "steward scripts/scoring/train_models.py (skl2onnx)"
    path = os.path.join(out_dir, f"{name}.onnx")
    with open(path, "wb") as f:
        f.write(onx.SerializeToString())
    digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
    c = spec["card"]
    card = {
        "name": c["name"], "version": "1.0.0", "owner": c["owner"], "intended_use": c["intended_use"],
        "out_of_scope_uses": c["out_of_scope_uses"],
        "training_data": f"{n_train} synthetic '{spec['kind']}' records from scripts/scoring/generate_data.py "
                         f"(seed 1; label '{spec['target']}' drawn from a hand-written rule with noise). "
                         "No real people, chats, posts or clicks. Its scores say nothing about real traffic.",
        "evaluation_metrics": {
            "roc_auc": round(float(roc_auc_score(yt, p)), 4),
            "accuracy": round(float(accuracy_score(yt, p >= c["decision_threshold"])), 4),
            "log_loss": round(float(log_loss(yt, p)), 4),
            "test_records": n_test,
        },
        "decision_threshold": c["decision_threshold"], "labels": c["labels"],
        "model_file": f"{name}.onnx", "sha256": digest,
        "missing_feature_policy": "default",
        "features": features,
    }
    header = (f"# Model card for {name}.onnx, written by scripts/scoring/train_models.py.\n"
              f"# Model: {type(model).__name__}; evaluation on {n_test} held-out synthetic records (seed 2).\n")
    write_card(card, os.path.join(out_dir, f"{name}.yaml"), header)
    return card


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="Models")
    ap.add_argument("names", nargs="*", default=list(SPECS))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for name in a.names:
        card = train(name, a.out)
        print(name, card["evaluation_metrics"], card["sha256"])
