"""The scoring hot path allocates nothing per record: `steward bench score` is run under a malloc
counter (scripts/scoring/malloc_count.c, LD_PRELOAD) with two record counts ten times apart, and the
number of allocation calls must stay the same (within the few calls that printing the rates may take).
No timing is asserted.

The claim is about optimized code, so this runs the release binary (STEWARD_RELEASE_BIN, default
.build/release/steward); `make test` builds it and sets STEWARD_RELEASE_BIN, and only a run without
that variable and without a release build skips: a debug build allocates for closure
contexts and unspecialized generics (about 100 calls per record), which -O removes.
"""
import os
import re
import shutil
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("STEWARD_RELEASE_BIN", os.path.join(ROOT, ".build", "release", "steward"))


@pytest.fixture(scope="module")
def malloc_count(tmp_path_factory):
    if not os.access(BIN, os.X_OK):
        if "STEWARD_RELEASE_BIN" in os.environ:
            pytest.fail(f"STEWARD_RELEASE_BIN={BIN} is not an executable")
        pytest.skip(f"no release build at {BIN} (swift build -c release --product steward)")
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        pytest.skip("no C compiler to build the malloc counter")
    lib = tmp_path_factory.mktemp("malloc") / "malloc_count.so"
    source = os.path.join(ROOT, "scripts", "scoring", "malloc_count.c")
    subprocess.run([cc, "-O2", "-shared", "-fPIC", "-o", str(lib), source, "-ldl"], check=True)
    return str(lib)


def allocations(lib, text_records, tree_records):
    env = dict(os.environ, LD_PRELOAD=lib)
    args = [BIN, "bench", "score", "--no-explain", "--no-json", "--repeats", "1",
            "--text-records", str(text_records), "--tree-records", str(tree_records)]
    p = subprocess.run(args, env=env, capture_output=True, check=True)
    out = p.stdout.decode() + p.stderr.decode()
    assert "records/s" in out
    return int(re.search(r"malloc_count: (\d+)", out).group(1))


def test_counter_sees_allocations(malloc_count):
    # The counter must work at all, or an equal count below would prove nothing.
    assert allocations(malloc_count, 1000, 1000) > 1000


def test_scoring_allocates_nothing_per_record(malloc_count):
    small = allocations(malloc_count, 2_000, 2_000)
    large = allocations(malloc_count, 20_000, 20_000)
    # 36,000 more records scored over three workloads: any per-record allocation would add >= 36,000.
    # A few calls may differ with the printed rates (formatting a longer number can grow a buffer).
    assert abs(large - small) <= 10, f"{large - small} more allocation calls for 36,000 more records"
