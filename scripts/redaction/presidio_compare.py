#!/usr/bin/env python3
"""Steward vs Presidio (pattern-only: the `no_op` NLP engine, no spaCy model) on the same corpus.

Prints a Markdown table of per-type recall/precision for both, and both throughputs in MB/s.

    python scripts/redaction/presidio_compare.py --steward .build/release/steward --n 3000

Presidio runs fully offline: tldextract is pointed at its bundled suffix list, so nothing is fetched.
Steward's throughput is timed over the corpus repeated until it is at least --steward-mb megabytes
(a few milliseconds of start-up would otherwise dominate); Presidio's over the corpus once.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evaluate  # noqa: E402
import gen_corpus  # noqa: E402


def presidio_analyzer():
    import tldextract
    import tldextract.tldextract as tx
    offline = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    tx.TLD_EXTRACTOR = offline
    tldextract.extract = offline
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    import warnings
    warnings.simplefilter("ignore")
    provider = NlpEngineProvider(nlp_configuration={"nlp_engine_name": "no_op",
                                                    "models": [{"lang_code": "en", "model_name": "no_op"}]})
    return AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])


def run_presidio(texts, threshold):
    analyzer = presidio_analyzer()
    analyzer.analyze("warm up ann@example.com", language="en")
    out = []
    t0 = time.perf_counter()
    c0 = time.process_time()
    for t in texts:
        res = analyzer.analyze(t, language="en", score_threshold=threshold)
        out.append([{"type": r.entity_type, "start": r.start, "end": r.end} for r in res])
    return out, time.perf_counter() - t0, time.process_time() - c0


def run_steward(binary, texts, min_mb):
    data = ("\n".join(texts) + "\n").encode("utf-8")
    res = subprocess.run([binary, "redact", "--emit", "entities"], input=data, capture_output=True, check=True)
    preds = [json.loads(l)["entities"] for l in res.stdout.decode("utf-8").splitlines()]
    reps = max(1, int(min_mb * 1e6 / len(data)) + 1)
    with tempfile.NamedTemporaryFile(delete=False) as f:
        for _ in range(reps):
            f.write(data)
        path = f.name
    try:
        with open(path, "rb") as inp:
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run([binary, "redact", "--emit", "entities"], stdin=inp, stdout=subprocess.DEVNULL, check=True)
            dt = time.perf_counter() - t0
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    finally:
        os.unlink(path)
    return preds, dt, cpu, reps * len(data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steward", default=".build/release/steward")
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threshold", type=float, default=0.0, help="Presidio score threshold (its default is 0)")
    ap.add_argument("--steward-mb", type=float, default=200)
    ap.add_argument("--json", help="also write the raw results here")
    args = ap.parse_args()

    corpus = gen_corpus.generate(args.n, args.seed)
    texts = [r["text"] for r in corpus]
    size = sum(len(t.encode("utf-8")) + 1 for t in texts)

    s_preds, s_time, s_cpu, s_bytes = run_steward(args.steward, texts, args.steward_mb)
    p_preds, p_time, p_cpu = run_presidio(texts, args.threshold)
    s_table = evaluate.score(corpus, s_preds)
    p_table = evaluate.score(corpus, p_preds)

    s_mbps = s_bytes / 1e6 / s_cpu
    p_mbps = size / 1e6 / p_cpu
    s_wall = s_bytes / 1e6 / s_time
    p_wall = size / 1e6 / p_time
    print(f"corpus: {len(texts)} records, {size / 1e6:.2f} MB, seed {args.seed}\n")
    print("| type | gold | Steward recall | Steward precision | Presidio recall | Presidio precision |")
    print("|---|---:|---:|---:|---:|---:|")
    types = sorted(set(s_table) | set(p_table), key=lambda t: (-(s_table.get(t) or p_table.get(t))["gold"], t))
    for t in types:
        s = s_table.get(t, {"gold": 0, "recall": None, "precision": None, "predicted": 0})
        p = p_table.get(t, {"gold": 0, "recall": None, "precision": None, "predicted": 0})
        gold = max(s["gold"], p["gold"])
        sp = evaluate.fmt(s["precision"]) + ("" if s["predicted"] == 0 or gold else f" ({s['predicted']} hits)")
        pp = evaluate.fmt(p["precision"]) + ("" if p["predicted"] == 0 or gold else f" ({p['predicted']} hits)")
        print(f"| {t} | {gold} | {evaluate.fmt(s['recall'])} | {sp} | {evaluate.fmt(p['recall'])} | {pp} |")
    print()
    print(f"Steward `redact --emit entities`: {s_mbps:.1f} MB/s CPU time ({s_wall:.1f} MB/s wall) over "
          f"{s_bytes / 1e6:.0f} MB, one process incl. start-up, parsing and JSON output")
    print(f"Presidio AnalyzerEngine (no_op NLP engine, threshold {args.threshold}): {p_mbps:.4f} MB/s CPU time "
          f"({p_wall:.4f} MB/s wall) over {size / 1e6:.2f} MB")
    print(f"speed-up (CPU time): {s_mbps / p_mbps:.0f}x; wall: {s_wall / p_wall:.0f}x")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"steward": s_table, "presidio": p_table, "steward_mbps_cpu": s_mbps, "presidio_mbps_cpu": p_mbps,
                       "steward_mbps_wall": s_wall, "presidio_mbps_wall": p_wall}, f, indent=1)


if __name__ == "__main__":
    main()
