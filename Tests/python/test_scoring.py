"""Reference tests for `steward score`: featurizers vs scikit-learn (bit-exact), scores vs scikit-learn
predict_proba and onnxruntime (<= 1e-6), TreeSHAP vs the shap package (<= 1e-6), load and record errors.

Runs the built binary (STEWARD_BIN, default .build/debug/steward).
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "scripts", "scoring"))

sklearn = pytest.importorskip("sklearn")
onnxruntime = pytest.importorskip("onnxruntime")
shap = pytest.importorskip("shap")

from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from generate_data import generate  # noqa: E402
from steward_features import featurize  # noqa: E402
from train_models import COVERS_KEY, export, write_card  # noqa: E402
import hashlib  # noqa: E402

BIN = os.environ.get("STEWARD_BIN", os.path.join(ROOT, ".build", "debug", "steward"))
MODELS = os.path.join(ROOT, "Models")
SHIPPED = {"chat-escalation": "chats", "finance-sentiment": "finance", "click-probability": "clicks"}

# Text that stresses CPython's str.lower() and \w: Turkish dotted I, final sigma, German sharp s,
# ligatures, vulgar fractions, CJK, combining marks, emoji, digits of other scripts, underscores.
NASTY = [
    "İstanbul'da ΣΟΦΟΣ ΟΔΟΣ. Straße ﬁne a_b x 42 ½½ café!",
    "ΆΣ ΣΑ Σ ΣΣ Σ. ΌΣΟΣ’Σ",
    "naïve coöperate résumé — DÉJÀ VU; ǅemal ǈ ǋ",
    "東京電力の株価が上昇 🚀🚀 ٣٤٥ ໑໒ ①② Ⅻ ⅻ",
    "e\u0301cole cafe\u0301 A\u030a ǰǰ ŉŉ ﬀﬃ",
    "UPPER lower MiXeD _under_score__ x_1 __ ab",
    "tab\tsep\nnewline\r\nend ‍ zero‍width",
    "",
    "a",
]


def run(args, records, check=True):
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    p = subprocess.run([BIN, *args], input=data.encode(), capture_output=True)
    if check:
        assert p.returncode == 0, p.stderr.decode()
    return p, [json.loads(line) for line in p.stdout.decode().splitlines() if line.strip()]


def make_model(tmp_path, name, features, model, rows, target):
    """Trains `model` on `rows` with `features`, exports ONNX + card into tmp_path; returns (card path, model)."""
    X = featurize(rows, features)
    y = np.array([r[target] for r in rows])
    dense = isinstance(model, (GradientBoostingClassifier, RandomForestClassifier))
    model.fit(X.toarray() if dense else X, y)
    onx = export(model, X.shape[1])
    path = tmp_path / f"{name}.onnx"
    path.write_bytes(onx.SerializeToString())
    card = {
        "name": name, "version": "test", "owner": "pytest", "intended_use": "tests",
        "out_of_scope_uses": ["anything"], "training_data": "generated in the test",
        "model_file": f"{name}.onnx", "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "features": features,
    }
    card_path = tmp_path / f"{name}.yaml"
    write_card(card, str(card_path))
    return str(card_path), model


def card_features(name):
    """The features section of a shipped card, read with a minimal parser of the format train_models writes."""
    import ast
    text = open(os.path.join(MODELS, f"{name}.yaml"), encoding="utf-8").read()
    # The shipped cards are written by train_models.write_yaml from these same specs.
    from train_models import SPECS
    features = json.loads(json.dumps(SPECS[name]["features"]))
    for n in features.get("numeric", []):
        block = text.split(f'- field: "{n["field"]}"')[1].split("- field:")[0]
        for key in ("mean", "scale", "default"):
            n[key] = ast.literal_eval(block.split(f"{key}: ")[1].split("\n")[0])
    return features


def exact_rows(X):
    X = X.tocsr()
    X.sum_duplicates()
    out = []
    for i in range(X.shape[0]):
        lo, hi = X.indptr[i], X.indptr[i + 1]
        pairs = sorted((int(j), float(v)) for j, v in zip(X.indices[lo:hi], X.data[lo:hi]) if v != 0)
        out.append(pairs)
    return out


# ---------------------------------------------------------------- featurizers


TEXT_SPECS = [
    {"fields": ["text"], "n_features": 2**20, "ngram_range": [1, 1], "alternate_sign": True, "norm": "l2", "lowercase": True},
    {"fields": ["text"], "n_features": 2**10, "ngram_range": [1, 3], "alternate_sign": False, "norm": "l1", "lowercase": True},
    {"fields": ["text"], "n_features": 97, "ngram_range": [2, 2], "alternate_sign": True, "norm": "none", "lowercase": False},
    {"fields": ["text", "extra"], "n_features": 2**18, "ngram_range": [1, 2], "alternate_sign": True, "norm": "l2", "lowercase": True},
]


@pytest.mark.parametrize("spec", TEXT_SPECS, ids=lambda s: f"n{s['n_features']}-ng{s['ngram_range']}-{s['norm']}")
def test_featurizer_is_bit_exact_with_scikit_learn(tmp_path, spec):
    rows = [{"text": t, "extra": "Ω ÉTÉ été", "source": s, "y": i % 2}
            for i, (t, s) in enumerate((t, s) for t in NASTY for s in ["forum", "ünï", "x"])]
    rows += [dict(r, y=i % 2, extra="more words here") for i, r in enumerate(generate("chats", 60, seed=9))]
    for r in rows:
        r.setdefault("text", r.get("message", ""))
        r.setdefault("source", "forum")
    features = {"text": spec, "categorical": {"fields": ["source"], "n_features": 64, "alternate_sign": True}}
    card, _ = make_model(tmp_path, "feat", features, LogisticRegression(max_iter=500), rows, "y")
    _, out = run(["score", "--model", card, "--dump-features"], rows)
    expected = exact_rows(featurize(rows, features))
    assert len(out) == len(rows)
    for got, want, row in zip(out, expected, rows):
        assert list(zip(got["indices"], got["values"])) == want, row["text"]


def test_shipped_featurizers_are_bit_exact():
    for name, kind in SHIPPED.items():
        rows = generate(kind, 300, seed=4)
        features = card_features(name)
        _, out = run(["score", "--model", os.path.join(MODELS, f"{name}.yaml"), "--dump-features"], rows)
        expected = exact_rows(featurize(rows, features))
        for got, want in zip(out, expected):
            assert list(zip(got["indices"], got["values"])) == want


# ---------------------------------------------------------------- scores


def ort_positive(onnx_path, X):
    sess = onnxruntime.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    outputs = sess.run(None, {"input": X.astype(np.float32)})
    probs = outputs[1]
    if isinstance(probs, list):  # ZipMap: list of {label: p}
        return np.array([list(p.values())[1] for p in probs])
    return np.asarray(probs)[:, 1]


@pytest.mark.parametrize("name", list(SHIPPED))
def test_shipped_models_match_scikit_learn_pipeline_and_onnxruntime(name):
    rows = generate(SHIPPED[name], 400, seed=5)
    if name != "click-probability":
        field = "message" if name == "chat-escalation" else "text"
        rows += [{field: t, "source": "forum"} for t in NASTY]
    _, out = run(["score", "--model", os.path.join(MODELS, f"{name}.yaml")], rows)
    scores = np.array([o["score"] for o in out])
    X = featurize(rows, card_features(name)).toarray()
    ort = ort_positive(os.path.join(MODELS, f"{name}.onnx"), X)
    assert np.max(np.abs(scores - ort)) <= 1e-6
    assert all(o["model"]["name"] == name and len(o["model"]["sha256"]) == 64 for o in out)


def test_scores_match_scikit_learn_predict_proba(tmp_path):
    rows = generate("finance", 1500, seed=6) + [{"text": t, "source": "blog", "sentiment": i % 2} for i, t in enumerate(NASTY)]
    features = {"text": {"fields": ["text"], "n_features": 2**16, "ngram_range": [1, 2], "alternate_sign": True,
                         "norm": "l2", "lowercase": True},
                "categorical": {"fields": ["source"], "n_features": 8, "alternate_sign": True}}
    card, model = make_model(tmp_path, "lr", features, LogisticRegression(C=3, max_iter=2000), rows, "sentiment")
    _, out = run(["score", "--model", card, "--explain", "3"], rows)
    sk = model.predict_proba(featurize(rows, features))[:, 1]
    assert np.max(np.abs(np.array([o["score"] for o in out]) - sk)) <= 1e-6
    ort = ort_positive(str(tmp_path / "lr.onnx"), featurize(rows, features).toarray())
    assert np.max(np.abs(np.array([o["score"] for o in out]) - ort)) <= 1e-6


# Depth 3 (7 splits a tree) is explained from per-tree pattern tables, depths 4 and 6 from per-leaf
# tables: both against shap.
@pytest.mark.parametrize("kind", ["gb3", "gb", "rf"])
def test_tree_ensembles_match_scikit_learn_onnxruntime_and_shap(tmp_path, kind):
    rows = generate("clicks", 1500, seed=7)
    features = card_features("click-probability")
    model = (GradientBoostingClassifier(n_estimators=40, max_depth=3 if kind == "gb3" else 4, random_state=1)
             if kind.startswith("gb") else RandomForestClassifier(n_estimators=25, max_depth=6, random_state=1))
    card, model = make_model(tmp_path, kind, features, model, rows, "clicked")
    test_rows = generate("clicks", 200, seed=8)
    X = featurize(test_rows, features).toarray().astype(np.float32).astype(np.float64)
    _, out = run(["score", "--model", card, "--dump-contributions"], test_rows)
    scores = np.array([o["score"] for o in out])
    assert np.max(np.abs(scores - model.predict_proba(X)[:, 1])) <= 1e-6
    assert np.max(np.abs(scores - ort_positive(str(tmp_path / f"{kind}.onnx"), X))) <= 1e-6

    explainer = shap.TreeExplainer(model, feature_perturbation="tree_path_dependent")
    values = np.asarray(explainer.shap_values(X))
    expected_value = np.atleast_1d(explainer.expected_value)
    if values.ndim == 3:  # (n, features, classes)
        values = values[:, :, 1]
        expected_value = expected_value[1]
    else:
        expected_value = expected_value[0]
    ours = np.zeros_like(values)
    for i, o in enumerate(out):
        ours[i, o["indices"]] = o["values"]
        assert abs(o["base"] - expected_value) <= 1e-6
    assert np.max(np.abs(ours - values)) <= 1e-6


def test_explanations_name_ngrams_and_fields():
    rows = [{"message": "I want to speak to a manager, refund immediately"}]
    _, out = run(["score", "--model", os.path.join(MODELS, "chat-escalation.yaml"), "--explain", "5"], rows)
    names = [a["feature"] for a in out[0]["attributions"]]
    # At least one of the five is a word n-gram of the message (n > 1), named by its words.
    assert len(names) == 5 and any(" " in n for n in names)
    assert all(n.replace(" | ", " ").replace(" ", "").isalnum() or "_" in n for n in names)
    contributions = [abs(a["contribution"]) for a in out[0]["attributions"]]
    assert contributions == sorted(contributions, reverse=True)
    rows = generate("clicks", 1, seed=3)
    _, out = run(["score", "--model", os.path.join(MODELS, "click-probability.yaml"), "--explain", "3"], rows)
    assert set(out[0]) == {"score", "label", "attributions", "model"}
    assert out[0]["label"] in ("click", "no_click")
    assert all(("=" in a["feature"]) or a["feature"] in ("position", "price", "user_age_days", "hour")
               or a["feature"].startswith("categorical[") for a in out[0]["attributions"])


# ---------------------------------------------------------------- errors


def copy_model(tmp_path, name="chat-escalation"):
    for ext in ("onnx", "yaml"):
        shutil.copy(os.path.join(MODELS, f"{name}.{ext}"), tmp_path / f"{name}.{ext}")
    return tmp_path / f"{name}.yaml", tmp_path / f"{name}.onnx"


def test_truncated_or_tampered_model_is_a_clear_load_error(tmp_path):
    card, onnx_path = copy_model(tmp_path)
    data = onnx_path.read_bytes()
    onnx_path.write_bytes(data[: len(data) // 2])
    p, _ = run(["score", "--model", str(card)], [{"message": "x"}], check=False)
    assert p.returncode != 0 and b"sha256" in p.stderr
    # Truncated with a matching hash: the parser itself must refuse it.
    text = card.read_text().replace(hashlib.sha256(data).hexdigest(), hashlib.sha256(data[: len(data) // 2]).hexdigest())
    card.write_text(text)
    p, _ = run(["score", "--model", str(card)], [{"message": "x"}], check=False)
    assert p.returncode != 0 and (b"malformed_model" in p.stderr or b"invalid_model" in p.stderr), p.stderr


def test_unsupported_operator_is_named(tmp_path):
    import onnx
    card, onnx_path = copy_model(tmp_path)
    m = onnx.load(str(onnx_path))
    m.graph.node[0].op_type = "SVMClassifier"
    data = m.SerializeToString()
    onnx_path.write_bytes(data)
    text = card.read_text()
    old = text.split('sha256: "')[1].split('"')[0]
    card.write_text(text.replace(old, hashlib.sha256(data).hexdigest()))
    p, _ = run(["score", "--model", str(card)], [{"message": "x"}], check=False)
    assert p.returncode != 0 and b"SVMClassifier" in p.stderr


def test_missing_feature_follows_card_policy(tmp_path):
    card, _ = copy_model(tmp_path, "click-probability")
    row = generate("clicks", 1, seed=3)[0]
    del row["price"]
    _, out = run(["score", "--model", str(card)], [row])
    assert 0 <= out[0]["score"] <= 1
    card.write_text(card.read_text().replace('missing_feature_policy: "default"', 'missing_feature_policy: "dead_letter"'))
    p, out = run(["score", "--model", str(card)], [row, generate("clicks", 1, seed=4)[0]], check=False)
    assert p.returncode == 1
    assert out[0]["error"]["code"] == "missing_feature" and "price" in out[0]["error"]["message"]
    assert "score" in out[1]


# ---------------------------------------------------------------- other operators


def numeric_card(tmp_path, name, onx, width):
    path = tmp_path / f"{name}.onnx"
    path.write_bytes(onx.SerializeToString())
    card = {"name": name, "version": "test", "owner": "pytest", "intended_use": "tests",
            "out_of_scope_uses": ["anything"], "training_data": "random", "model_file": f"{name}.onnx",
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "features": {"numeric": [{"field": f"f{i}"} for i in range(width)]}}
    write_card(card, str(tmp_path / f"{name}.yaml"))
    return str(tmp_path / f"{name}.yaml"), str(path)


def ort_first_output(path, X):
    sess = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    outs = dict(zip(names, sess.run(None, {sess.get_inputs()[0].name: X.astype(np.float32)})))
    name = next(n for n in names if "label" not in n)
    v = outs[name]
    if isinstance(v, list):
        return np.array([list(p.values())[1] for p in v])
    v = np.asarray(v)
    return v[:, 1] if v.ndim == 2 and v.shape[1] >= 2 else v.reshape(-1)


def test_scaler_normalizer_linear_pipeline_and_regressor_match_onnxruntime(tmp_path):
    from skl2onnx import to_onnx
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import Normalizer, StandardScaler
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 5))
    y = (X[:, 0] - X[:, 2] > 0).astype(int)
    for name, model in [("pipe", make_pipeline(StandardScaler(), Normalizer(), LogisticRegression()).fit(X, y)),
                        ("reg", LinearRegression().fit(X, X @ np.arange(5.0)))]:
        onx = to_onnx(model, X[:1].astype(np.float32), target_opset={"": 17, "ai.onnx.ml": 3})
        card, path = numeric_card(tmp_path, name, onx, 5)
        rows = [{f"f{i}": float(v) for i, v in enumerate(row)} for row in X[:100]]
        _, out = run(["score", "--model", card], rows)
        Xf = X[:100].astype(np.float32).astype(np.float64)
        ref = model.predict_proba(Xf)[:, 1] if name == "pipe" else model.predict(Xf)
        ours = np.array([o["score"] for o in out])
        assert np.max(np.abs(ours - ort_first_output(path, X[:100]))) <= 1e-6 * max(1, np.max(np.abs(ref)))
        assert np.max(np.abs(ours - ref)) <= 1e-5 * max(1, np.max(np.abs(ref)))


@pytest.mark.parametrize("final", ["Softmax", "Sigmoid"])
def test_small_neural_network_matches_onnxruntime(tmp_path, final):
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(4)
    w1, b1 = rng.normal(size=(4, 6)).astype(np.float32), rng.normal(size=6).astype(np.float32)
    w2, b2 = rng.normal(size=(6, 3)).astype(np.float32), rng.normal(size=3).astype(np.float32)
    w3 = rng.normal(size=(2, 3)).astype(np.float32)
    inits = [numpy_helper.from_array(a, n) for a, n in [(w1, "w1"), (b1, "b1"), (w2, "w2"), (b2, "b2"), (w3, "w3")]]
    nodes = [helper.make_node("MatMul", ["input", "w1"], ["h1"]), helper.make_node("Add", ["h1", "b1"], ["h2"]),
             helper.make_node("Relu", ["h2"], ["h3"]), helper.make_node("Gemm", ["h3", "w2", "b2"], ["h4"], alpha=0.5),
             helper.make_node("Tanh", ["h4"], ["h5"]), helper.make_node("Gemm", ["h5", "w3"], ["h6"], transB=1),
             helper.make_node(final, ["h6"], ["probabilities"])]
    graph = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [None, 4])],
                              [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, 2])], inits)
    onx = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.checker.check_model(onx)
    card, path = numeric_card(tmp_path, "mlp", onx, 4)
    X = rng.normal(size=(200, 4))
    _, out = run(["score", "--model", card, "--explain", "2"], [{f"f{i}": float(v) for i, v in enumerate(r)} for r in X])
    assert np.max(np.abs(np.array([o["score"] for o in out]) - ort_first_output(path, X))) <= 1e-6
    assert all(o["attributions"] == [] for o in out)
