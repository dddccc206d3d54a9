"""`steward bench kafka`: a topology end to end through a real broker (the embedded one, and Tansu
with --brokers), with exactly-once on. Judged by what the command reports and by the topics it
leaves behind: every loaded record reached an output, the figures are consistent with each other.
No timing is asserted (figures go to Docs/benchmarks.md)."""
import json
import os
import pathlib
import subprocess

import pytest

from conftest import free_port, librdkafka_216_dir, tansu_binary, wait_for_port

ROOT = pathlib.Path(__file__).resolve().parents[2]


def bench(steward_bin, *args, base_env=None):
    # No keys in the environment: the bench makes random ones for its run.
    env = {k: v for k, v in (base_env or os.environ).items() if not k.startswith("STEWARD_")}
    res = subprocess.run([steward_bin, "bench", "kafka", *args], cwd=ROOT, env=env, capture_output=True,
                         timeout=600)
    # librdkafka's own log lines (a broker going away at the end) would hide the bench's error.
    own = [l for l in res.stderr.decode("utf-8", "replace").splitlines() if "steward.kafka" not in l]
    assert res.returncode == 0, "\n".join(own)[-3000:]
    lines = res.stdout.decode().splitlines()
    assert lines[0].startswith("kafka: ") and "records/s" in lines[0] and "latency p50" in lines[0], lines
    return json.loads(lines[1])


def check(report, records, partitions):
    assert report["records"] == records and report["partitions"] == partitions
    assert report["seconds"] > 0 and report["records_per_second"] > 0
    assert report["records_per_second"] == pytest.approx(records / report["seconds"], rel=0.01, abs=1)
    latency = report["latency_ms"]
    assert 0 <= latency["p50"] <= latency["p99"] <= latency["p999"]
    # The run's peak RSS is a real process's: more than its binary, less than the machine.
    assert 10e6 < report["peak_rss_bytes"] < 8e9


@pytest.mark.parametrize("topology", ["passthrough", "chats"])
def test_the_embedded_broker_carries_every_record_through(steward_bin, topology):
    report = bench(steward_bin, "--topology", f"Topologies/{topology}.yaml", "--records", "3000",
                   "--partitions", "3")
    check(report, 3000, 3)
    assert report["broker"] == "embedded" and report["rate"] == 0


def test_a_paced_producer_measures_latency_at_a_given_rate(steward_bin):
    report = bench(steward_bin, "--records", "1500", "--rate", "500")
    check(report, 1500, 4)
    assert report["rate"] == 500
    # Producing 1,500 records at 500/s takes about 3 s: the producer was paced.
    assert report["produce_seconds"] >= 2.5


def test_several_instances_share_the_partitions(steward_bin):
    """--instances 2: two `steward run` processes in one group; every record still reaches an output
    exactly once (the watcher counts each record's output) and the report names the instances."""
    report = bench(steward_bin, "--records", "4000", "--partitions", "8", "--instances", "2")
    check(report, 4000, 8)
    assert report["instances"] == 2


def test_a_stateful_topology_needs_scale_out_for_several_instances(steward_bin):
    env = {k: v for k, v in os.environ.items() if not k.startswith("STEWARD_")}
    res = subprocess.run([steward_bin, "bench", "kafka", "--topology", "Topologies/chats.yaml", "--instances", "2"],
                         cwd=ROOT, env=env, capture_output=True, timeout=120)
    assert res.returncode != 0
    assert b"several instances need --scale-out" in res.stderr
    # With it, two instances share chats: every record reaches an output once.
    report = bench(steward_bin, "--topology", "Topologies/chats.yaml", "--records", "3000", "--partitions", "4",
                   "--instances", "2", "--scale-out")
    check(report, 3000, 4)
    assert report["instances"] == 2 and report["scale_out"] is True


@pytest.fixture
def fresh_tansu():
    """A Tansu of this test's own: the bench needs empty topics, and the session's Tansu holds other
    tests' chats topics."""
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    proc = subprocess.Popen([tansu_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url,
                             "--storage-engine", "memory://tansu/"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        env = dict(os.environ, LD_LIBRARY_PATH=librdkafka_216_dir())
        yield f"127.0.0.1:{port}", env
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_tansu(steward_bin, fresh_tansu):
    """On Tansu (with librdkafka 2.16, as every Tansu test): the bench creates the input topic, and
    paced records go out only once the run is ready: Tansu takes about 25 s to form the run's group,
    which would otherwise be in every latency."""
    bootstrap, env = fresh_tansu
    report = bench(steward_bin, "--topology", "Topologies/chats.yaml", "--records", "2000", "--partitions", "2",
                   "--rate", "1000", "--brokers", bootstrap, base_env=env)
    check(report, 2000, 2)
    assert report["broker"] == bootstrap
    assert report["latency_ms"]["p99"] < 10_000, report["latency_ms"]
    # A second run finds the topics holding the first one's records and refuses, rather than
    # measuring them.
    env = {k: v for k, v in env.items() if not k.startswith("STEWARD_")}
    again = subprocess.run([steward_bin, "bench", "kafka", "--topology", "Topologies/chats.yaml", "--records", "10",
                            "--brokers", bootstrap], cwd=ROOT, env=env, capture_output=True, timeout=120)
    assert again.returncode != 0 and b"chats already holds messages" in again.stderr, again.stderr
