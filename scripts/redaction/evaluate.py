#!/usr/bin/env python3
"""Per-type recall and precision of an entity detector against the gold spans of a corpus.

A predicted span is a true positive when it overlaps a gold span of the same type; recall counts gold
spans hit by at least one prediction of their type, precision counts predictions that hit a gold span
of their type. Types the corpus does not label (e.g. Presidio's US_DRIVER_LICENSE) count as false
positives of that type.
"""
import collections
import json


def overlaps(a, b):
    return a["start"] < b["end"] and b["start"] < a["end"]


def score(corpus, predictions):
    """corpus: list of {"text","spans"}; predictions: list (same order) of lists of {"type","start","end"}."""
    gold_n = collections.Counter()
    gold_hit = collections.Counter()
    pred_n = collections.Counter()
    pred_ok = collections.Counter()
    for rec, preds in zip(corpus, predictions):
        for g in rec["spans"]:
            gold_n[g["type"]] += 1
            if any(p["type"] == g["type"] and overlaps(p, g) for p in preds):
                gold_hit[g["type"]] += 1
        for p in preds:
            pred_n[p["type"]] += 1
            if any(p["type"] == g["type"] and overlaps(p, g) for g in rec["spans"]):
                pred_ok[p["type"]] += 1
    table = {}
    for t in sorted(set(gold_n) | set(pred_n)):
        table[t] = {
            "gold": gold_n[t],
            "predicted": pred_n[t],
            "recall": gold_hit[t] / gold_n[t] if gold_n[t] else None,
            "precision": pred_ok[t] / pred_n[t] if pred_n[t] else None,
        }
    return table


def errors(corpus, predictions, etype, limit=20):
    """Examples of misses and false positives for one type, for debugging."""
    out = []
    for rec, preds in zip(corpus, predictions):
        for g in rec["spans"]:
            if g["type"] == etype and not any(p["type"] == etype and overlaps(p, g) for p in preds):
                out.append(("miss", rec["text"][g["start"]:g["end"]], rec["text"], preds))
        for p in preds:
            if p["type"] == etype and not any(g["type"] == etype and overlaps(p, g) for g in rec["spans"]):
                out.append(("fp", rec["text"][p["start"]:p["end"]], rec["text"], rec["spans"]))
    return out[:limit]


def fmt(x):
    return "—" if x is None else f"{100 * x:.1f}"


if __name__ == "__main__":
    import sys
    corpus = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
    preds = [json.loads(l)["entities"] for l in open(sys.argv[2], encoding="utf-8")]
    table = score(corpus, preds)
    for t, row in table.items():
        print(f"{t:15} gold={row['gold']:5} pred={row['predicted']:5} recall={fmt(row['recall']):>6} precision={fmt(row['precision']):>6}")
    if len(sys.argv) > 3:
        for e in errors(corpus, preds, sys.argv[3], 40):
            print(e)
