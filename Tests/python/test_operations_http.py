"""The operator's HTTP surface of a live `steward run`: /health, /ready, /metrics checked by
`promtool check metrics` (Debian `prometheus`), a real Prometheus server scraping it and answering
a query, and the status page rendered by headless Chromium (Debian `chromium`)."""
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest

from conftest import ROOT, free_port, wait_for_port
from kafka_peer import produce
from test_fairness_alertmanager import kafka_alert_topology, write_stream

PROMTOOL = shutil.which("promtool")
PROMETHEUS = shutil.which("prometheus")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTEFACTS = pathlib.Path(os.environ.get("STEWARD_TEST_ARTEFACTS", ROOT / ".build" / "test-artefacts"))
NOISE_KEY = "3c" * 32


def require(tool, package):
    if tool is None and not os.environ.get("CI"):
        pytest.skip(f"{package} is not installed (make test installs it)")
    assert tool, f"{package} is not installed"


def fetch(url, timeout=5):
    """(status, body text, content type); HTTP errors are answers too."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode(), response.headers.get("Content-Type")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), error.headers.get("Content-Type")


def metric_values(text):
    """`name{labels}` -> value from a Prometheus text exposition."""
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            values[key] = float(value)
    return values


def chats_topology(tmp_path, name):
    """The shipped chats topology under a fresh name and input topic, its model path made absolute."""
    text = (ROOT / "Topologies" / "chats.yaml").read_text()
    text = text.replace("name: chats", f"name: {name}", 1).replace("  topic: chats", f"  topic: {name}-in", 1)
    text = text.replace("../Models/", f"{ROOT}/Models/")
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return path


DOCKER = ROOT / "Docker"


def rule_metrics():
    """The steward_* metric names in the shipped alerting rules' expressions."""
    text = (DOCKER / "prometheus" / "steward-rules.yml").read_text()
    exprs = re.findall(r"^\s*expr: (.*)$", text, re.M)
    assert exprs
    return {name for expr in exprs for name in re.findall(r"\bsteward_[a-z_]+", expr)}


def healthcheck(port):
    """The Dockerfile's HEALTHCHECK command (exec form), with STEWARD_HTTP_PORT pointing at `port`."""
    text = (DOCKER / "Dockerfile").read_text().replace("\\\n", " ")
    argv = json.loads(re.search(r"^HEALTHCHECK .*?CMD (\[.*\])$", text, re.M).group(1))
    return subprocess.run(argv, env=dict(os.environ, STEWARD_HTTP_PORT=str(port)), capture_output=True, timeout=30)


class LiveRun:
    """`steward run` with HTTP on a free port, stopped with SIGTERM at the end."""

    def __init__(self, steward_bin, broker, topology, name, env_extra=None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(broker.env, STEWARD_NOISE_KEY=NOISE_KEY, **(env_extra or {}))
        env.pop("STEWARD_HTTP_PORT", None)
        self.process = subprocess.Popen(
            [steward_bin, "run", str(topology), "--brokers", broker.bootstrap, "--group", f"{name}-g",
             "--idle-timeout", "120", "--property", "session.timeout.ms=6000",
             "--property", "statistics.interval.ms=500", "--http-port", str(self.port), "--http-host", "127.0.0.1"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        wait_for_port(self.port)

    def metrics(self):
        status, body, _ = fetch(self.base + "/metrics")
        assert status == 200
        return body

    def wait_for(self, condition, what, timeout=90):
        deadline = time.time() + timeout
        while True:
            values = metric_values(self.metrics())
            if condition(values):
                return values
            assert self.process.poll() is None, self.process.communicate()[1][-3000:]
            assert time.time() < deadline, f"timed out waiting for {what}"
            time.sleep(0.3)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        _, stderr = self.process.communicate(timeout=60)
        assert self.process.returncode == 0, stderr[-3000:]


def test_live_metrics_pass_promtool_and_count_the_run(steward_bin, mock_broker, tmp_path):
    require(PROMTOOL, "prometheus (promtool)")
    name = f"http{uuid.uuid4().hex[:8]}"
    topology = chats_topology(tmp_path, name)
    values = (ROOT / "Topologies" / "samples" / "chats.jsonl").read_bytes().splitlines()
    run = LiveRun(steward_bin, mock_broker, topology, name)
    try:
        assert fetch(run.base + "/health")[0] == 200
        # The mock cluster's first group join takes 3 s: HTTP is up well before partitions are assigned.
        status, body, _ = fetch(run.base + "/ready")
        assert status == 503 and "partitions_assigned" in body, (status, body)
        produce(mock_broker.bootstrap, f"{name}-in", values)
        consumed = f'steward_records_consumed_total{{topology="{name}"}}'
        seen = run.wait_for(lambda v: v.get(consumed) == len(values), "every record to be consumed")
        lag = re.compile(rf'steward_consumer_lag_messages{{topology="{name}",topic="{name}-in",partition="\d+"}}')
        # librdkafka's statistics come every 500 ms: wait until they report every partition caught up.
        seen = run.wait_for(lambda v: [k for k in v if lag.fullmatch(k)] and all(v[k] == 0 for k in v if lag.fullmatch(k)),
                            "consumer lag 0 from librdkafka statistics")
        status, ready, _ = fetch(run.base + "/ready")
        assert status == 200, ready
        text = run.metrics()
        checked = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True, text=True)
        assert checked.returncode == 0 and checked.stdout == "" and checked.stderr == "", checked.stdout + checked.stderr
        assert seen[f'steward_records_sanitized_total{{topology="{name}"}}'] == 3000
        assert seen[f'steward_records_dead_lettered_total{{topology="{name}",reason="missing_field"}}'] >= 1
        assert sum(v for k, v in seen.items() if k.startswith("steward_records_dead_lettered_total")) == 3
        assert seen[f'steward_outputs_total{{topology="{name}",topic="{name}.sanitized"}}'] == 3000
        assert seen[f'steward_redactions_total{{topology="{name}",entity="EMAIL_ADDRESS"}}'] > 0
        # Per person, the whole topology: 6 × 0.19 (fairness) + 0.19 (the escalations aggregate).
        assert seen[f'steward_privacy_rho_spent{{topology="{name}"}}'] == 1.33
        assert seen[f'steward_transactions_committed_total{{topology="{name}"}}'] >= 1
        assert seen[f'steward_batch_duration_seconds_count{{topology="{name}"}}'] >= 1
        assert seen[f'steward_event_time_lag_seconds{{topology="{name}"}}'] > 0
        assert seen[f'steward_ready{{topology="{name}"}}'] == 1
        assert seen[f'steward_state_restore_progress_ratio{{topology="{name}"}}'] == 1
        groups = [k for k in seen if k.startswith("steward_fairness_group_metric{")]
        assert {re.search(r'group="(\w+)"', k).group(1) for k in groups} == {"north", "south", "east", "west"}
        # Every metric the shipped alerting rules name is one this live instance exposes.
        exposed = {re.match(r"[a-z_]+", k).group(0) for k in seen}
        exposed |= {re.sub(r"_(bucket|count|sum)$", "", name) for name in exposed}
        for name in rule_metrics():
            assert name in exposed, f"{name} (Docker/prometheus/steward-rules.yml) is not exposed"
        # The image's HEALTHCHECK, run as Docker would run it, against this instance and a closed port.
        assert healthcheck(run.port).returncode == 0
        assert healthcheck(free_port()).returncode != 0
    finally:
        run.stop()


def test_prometheus_scrapes_a_live_run_and_answers_a_query(steward_bin, mock_broker, tmp_path):
    require(PROMETHEUS, "prometheus")
    name = f"prom{uuid.uuid4().hex[:8]}"
    topology = chats_topology(tmp_path, name)
    values = (ROOT / "Topologies" / "samples" / "chats.jsonl").read_bytes().splitlines()[:500]
    run = LiveRun(steward_bin, mock_broker, topology, name)
    prometheus_port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(f"""
global: {{scrape_interval: 1s, evaluation_interval: 1s}}
scrape_configs:
  - job_name: steward
    static_configs: [{{targets: ["127.0.0.1:{run.port}"]}}]
""")
    prometheus = subprocess.Popen(
        [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{prometheus_port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        produce(mock_broker.bootstrap, f"{name}-in", values)
        run.wait_for(lambda v: v.get(f'steward_records_consumed_total{{topology="{name}"}}') == len(values),
                     "every record to be consumed")
        wait_for_port(prometheus_port)
        query = urllib.parse.quote(f'steward_records_consumed_total{{topology="{name}"}}')
        deadline = time.time() + 60
        while True:
            status, body, _ = fetch(f"http://127.0.0.1:{prometheus_port}/api/v1/query?query={query}")
            result = json.loads(body)["data"]["result"] if status == 200 else []
            if result and float(result[0]["value"][1]) == len(values):
                break
            assert time.time() < deadline, f"Prometheus did not report the count: {body[:500]}"
            time.sleep(0.5)
        assert result[0]["metric"]["job"] == "steward"
        status, body, _ = fetch(f"http://127.0.0.1:{prometheus_port}/api/v1/targets")
        targets = json.loads(body)["data"]["activeTargets"]
        assert [t["health"] for t in targets] == ["up"], targets
    finally:
        prometheus.terminate()
        prometheus.wait(timeout=30)
        run.stop()


def render(url, screenshot):
    """The page's DOM after Chromium loaded it, and a PNG screenshot of it."""
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
             "--no-first-run", f"--user-data-dir={screenshot.parent / 'chromium-profile'}"]
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", url], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    shot = subprocess.run([CHROMIUM, *flags, f"--screenshot={screenshot}", "--window-size=1200,2400", url],
                          capture_output=True, text=True, timeout=120)
    assert shot.returncode == 0 and screenshot.exists(), shot.stderr[-2000:]
    return dom.stdout


def test_status_page_shows_groups_and_a_firing_alert_in_chromium(steward_bin, mock_broker, tmp_path):
    require(CHROMIUM, "chromium")
    import random

    name = f"page{uuid.uuid4().hex[:8]}"
    topology = kafka_alert_topology(tmp_path / "topology.yaml", name, None)
    stream = tmp_path / "stream.jsonl"
    start = (int(time.time()) - 3 * 3600) * 1000 // 60_000 * 60_000
    write_stream(stream, start, 3, {"a": 0.9, "b": 0.3}, random.Random(3))
    values = stream.read_bytes().splitlines()
    run = LiveRun(steward_bin, mock_broker, topology, name)
    try:
        produce(mock_broker.bootstrap, f"{name}-in", values)
        run.wait_for(lambda v: v.get(f'steward_alerts_firing{{topology="{name}"}}', 0) >= 1, "an alert to fire")
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        screenshot = ARTEFACTS / "status-page.png"
        screenshot.unlink(missing_ok=True)
        dom = render(run.base + "/", screenshot)
        (ARTEFACTS / "status-page.html").write_text(dom)
        assert f'id="topology-{name}"' in dom
        assert re.search(r'<text class="group"[^>]*>a</text>', dom) and re.search(r'<text class="group"[^>]*>b</text>', dom)
        firing = re.search(r'<table id="alerts-firing">(.*?)</table>', dom, re.S)
        assert firing, "no table of firing alerts"
        assert f"<td>{name}/fairness/four_fifths/g/demographic_parity_ratio</td>" in firing.group(1)
        assert "four_fifths" in dom or "demographic_parity_ratio" in dom
        assert screenshot.stat().st_size > 10_000
    finally:
        run.stop()


def test_demo_serves_the_same_endpoints_while_it_runs(steward_bin):
    """`steward demo --topology T --input F --http-port P --serve-for S` serves metrics and the page for its run."""
    port = free_port()
    env = dict(os.environ)
    env.pop("STEWARD_HTTP_PORT", None)
    demo = subprocess.Popen(
        [steward_bin, "demo", "--topology", "Topologies/passthrough.yaml", "--input", "Topologies/samples/passthrough.jsonl",
         "--http-port", str(port), "--http-host", "127.0.0.1", "--serve-for", "30"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        wait_for_port(port, timeout=60)
        lines = len((ROOT / "Topologies" / "samples" / "passthrough.jsonl").read_bytes().splitlines())
        deadline = time.time() + 60
        while True:
            values = metric_values(fetch(f"http://127.0.0.1:{port}/metrics")[1])
            if values.get('steward_records_consumed_total{topology="passthrough"}') == lines:
                break
            assert time.time() < deadline and demo.poll() is None, "the demo's metrics never counted its records"
            time.sleep(0.3)
        assert fetch(f"http://127.0.0.1:{port}/ready")[0] == 200
        status, page, _ = fetch(f"http://127.0.0.1:{port}/")
        assert status == 200 and 'id="topology-passthrough"' in page
    finally:
        demo.terminate()
        demo.communicate(timeout=30)

