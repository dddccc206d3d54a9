#!/usr/bin/env python3
"""Extract the parametrized cases of Presidio's recognizer unit tests into a JSON-lines data file.

Presidio (https://github.com/microsoft/presidio, MIT licence) tests each recognizer with
`@pytest.mark.parametrize` lists of (text, expected number of results, expected (start, end)
positions, …). This script reads those lists from a checkout with Python's `ast` (the test code
itself is not copied, only the literal cases) for the entity types Steward detects, and writes one
JSON object a line: source file, line, entity type, text, expected count, expected positions.

    git -C <presidio> show <commit>:presidio-analyzer/tests/test_ip_recognizer.py > …
    python scripts/redaction/extract_presidio_cases.py --repo <presidio checkout or git dir> \
        --commit <sha> > Tests/python/data/presidio_recognizer_cases.jsonl
"""
import argparse
import ast
import json
import subprocess
import sys

# Test file (presidio-analyzer/tests/test_<name>_recognizer.py) -> the entity type it tests.
FILES = {
    "credit_card": "CREDIT_CARD",
    "crypto": "CRYPTO",
    "date": "DATE_TIME",
    "email": "EMAIL_ADDRESS",
    "iban": "IBAN_CODE",
    "ip": "IP_ADDRESS",
    "mac": "MAC_ADDRESS",
    "phone": "PHONE_NUMBER",
    "url": "URL",
    "us_ssn": "US_SSN",
    "us_itin": "US_ITIN",
    "uk_nhs": "UK_NHS",
}


def cases(source, path, etype):
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for dec in node.decorator_list:
            if not (isinstance(dec, ast.Call) and ast.unparse(dec.func) == "pytest.mark.parametrize"):
                continue
            names = ast.literal_eval(dec.args[0])
            if isinstance(names, str):
                names = [n.strip() for n in names.split(",")]
            for item in dec.args[1].elts:
                try:
                    values = ast.literal_eval(item)
                except ValueError:
                    continue  # built by a helper at run time; not a literal case
                if len(names) == 1:
                    values = (values,)
                row = dict(zip(names, values))
                text = row.get("text", row.get("iban"))
                if not isinstance(text, str) or "expected_len" not in row:
                    continue
                positions = row.get("expected_positions", row.get("expected_res", ()))
                entities = row.get("entities")
                yield {
                    "source": path,
                    "line": item.lineno,
                    "test": node.name,
                    "entity": entities[0] if entities else etype,
                    "text": text,
                    "expected_len": row["expected_len"],
                    "expected_positions": [list(p) for p in positions],
                    **({"leniency": row["leniency"]} if "leniency" in row else {}),
                }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", required=True, help="a Presidio clone or bare git directory")
    ap.add_argument("--commit", default="HEAD")
    args = ap.parse_args()
    out = sys.stdout
    for name, etype in FILES.items():
        path = f"presidio-analyzer/tests/test_{name}_recognizer.py"
        source = subprocess.run(["git", "-C", args.repo, "show", f"{args.commit}:{path}"], check=True,
                                capture_output=True, text=True).stdout
        for case in cases(source, path, etype):
            out.write(json.dumps(case, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
