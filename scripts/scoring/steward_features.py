"""scikit-learn reference featurization for Steward model cards.

Builds the exact matrix Steward's featurizer builds from a card's `features` section:
[HashingVectorizer(text fields joined by " ") | FeatureHasher(input_type="dict") | standardized numerics].
Used by the training script and by the pytest reference tests.
"""
import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction import FeatureHasher
from sklearn.feature_extraction.text import HashingVectorizer


def text_vectorizer(spec):
    return HashingVectorizer(
        n_features=spec["n_features"],
        ngram_range=tuple(spec.get("ngram_range", [1, 1])),
        alternate_sign=spec.get("alternate_sign", True),
        norm=None if spec.get("norm", "l2") == "none" else spec.get("norm", "l2"),
        lowercase=spec.get("lowercase", True),
    )


def categorical_hasher(spec):
    return FeatureHasher(
        n_features=spec["n_features"], input_type="dict", alternate_sign=spec.get("alternate_sign", True)
    )


def featurize(records, features):
    """The model input matrix (CSR, float64) for `records` (list of dicts)."""
    blocks = []
    if features.get("text"):
        spec = features["text"]
        docs = [" ".join(r[f] for f in spec["fields"] if isinstance(r.get(f), str)) for r in records]
        blocks.append(text_vectorizer(spec).transform(docs))
    if features.get("categorical"):
        spec = features["categorical"]
        dicts = [{f: r[f] for f in spec["fields"] if r.get(f) is not None} for r in records]
        blocks.append(categorical_hasher(spec).transform(dicts))
    if features.get("numeric"):
        cols = []
        for n in features["numeric"]:
            x = np.array([float(r.get(n["field"], n.get("default", 0.0))) for r in records])
            cols.append((x - n.get("mean", 0.0)) / n.get("scale", 1.0))
        blocks.append(sp.csr_matrix(np.column_stack(cols)))
    return sp.hstack(blocks, format="csr")
