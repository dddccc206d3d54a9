"""`steward fairness monitor` posts alerts to a real Alertmanager (Debian's prometheus-alertmanager) on loopback,
which receives them, groups them and resolves them."""

import contextlib
import json
import os
import random
import shutil
import socket
import subprocess
import time
import urllib.request

import pytest

STEWARD = os.environ.get("STEWARD_BIN", ".build/debug/steward")
ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")

pytestmark = pytest.mark.skipif(
    ALERTMANAGER is None and not os.environ.get("CI"), reason="prometheus-alertmanager is not installed")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read() or b"null")


@contextlib.contextmanager
def running_alertmanager(tmp_path, resolve_timeout=None):
    assert ALERTMANAGER, "prometheus-alertmanager is required on CI (apt-get install prometheus-alertmanager)"
    port = free_port()
    config = tmp_path / "alertmanager.yml"
    config.write_text(
        (f"global:\n  resolve_timeout: {resolve_timeout}\n" if resolve_timeout else "")
        + "route:\n  receiver: 'null'\n  group_by: [alertname, pipeline]\n  group_wait: 1s\n  group_interval: 1s\n"
        "  repeat_interval: 1h\nreceivers:\n  - name: 'null'\n")
    storage = tmp_path / "storage"
    storage.mkdir()
    log = open(tmp_path / "alertmanager.log", "w")
    process = subprocess.Popen(
        [ALERTMANAGER, f"--config.file={config}", f"--storage.path={storage}",
         f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
        stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/-/ready", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("alertmanager did not become ready: " + (tmp_path / "alertmanager.log").read_text())
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture
def alertmanager(tmp_path):
    with running_alertmanager(tmp_path) as base:
        yield base


def write_stream(path, start_ms, windows, rates, rng):
    """`windows` one-minute windows of 400 events; `rates` gives the selection rate per group."""
    lines = []
    for window in range(windows):
        for event in range(400):
            group = "a" if event % 2 == 0 else "b"
            region = "north" if (event // 2) % 2 == 0 else "south"
            time_ms = start_ms + window * 60_000 + event * 150
            lines.append(json.dumps({"event_time": time_ms, "g": group, "region": region,
                                     "approved": int(rng.random() < rates[group])}))
    path.write_text("\n".join(lines) + "\n")
    return start_ms + windows * 60_000


def run_monitor(topology, stream, state, flush):
    command = [STEWARD, "fairness", "monitor", "--config", str(topology), "--input", str(stream), "--state",
               str(state)]
    if not flush:
        command.append("--no-flush")
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_alertmanager_receives_groups_and_resolves(tmp_path, alertmanager):
    topology = tmp_path / "topology.yaml"
    topology.write_text(f"""
name: loans
fairness:
  mode: raw
  sensitive: [g, [g, region]]
  prediction: approved
  window: {{type: tumbling, size: 1m}}
  watermark: {{max_out_of_orderness: 1s}}
  min_group_size: 20
  baseline:
    targets: {{demographic_parity_difference: 0.0}}
  drift: {{metrics: [demographic_parity_difference], false_alarm_rate: 1.0e-6}}
  four_fifths: {{enabled: false}}
  alerts:
    pipeline: loans
    resolve_after: 2
    runbook_url: https://runbooks.example/fairness
    webhook: {{type: alertmanager, url: "{alertmanager}"}}
""")
    rng = random.Random(5)
    state = tmp_path / "monitor.state"
    start = (int(time.time()) - 3 * 3600) * 1000 // 60_000 * 60_000
    first = tmp_path / "unfair.jsonl"
    end = write_stream(first, start, 6, {"a": 0.5, "b": 0.5}, rng)
    end = write_stream(tmp_path / "shift.jsonl", end, 6, {"a": 0.85, "b": 0.25}, rng)
    first.write_text(first.read_text() + (tmp_path / "shift.jsonl").read_text())
    messages = run_monitor(topology, first, state, flush=False)
    fired = [m for m in messages if m["type"] == "fairness.alert"]
    assert {m["attribute"] for m in fired} == {"g", "g|region"}
    assert all(m["status"] == "firing" and m["mode"] == "raw" for m in fired)

    alerts = get(alertmanager + "/api/v2/alerts")
    ours = {a["labels"]["dedup_key"]: a for a in alerts}
    assert set(ours) == {m["dedup_key"] for m in fired}
    for alert in ours.values():
        assert alert["status"]["state"] == "active"
        assert alert["annotations"]["runbook_url"] == "https://runbooks.example/fairness"
        assert alert["labels"]["severity"] in {"warning", "error", "critical"}
    deadline = time.time() + 15
    while True:
        groups = get(alertmanager + "/api/v2/alerts/groups")
        if groups and len(groups) == 1 and len(groups[0]["alerts"]) == 2:
            break
        assert time.time() < deadline, groups
        time.sleep(0.2)
    assert groups[0]["labels"] == {"alertname": "StewardFairness", "pipeline": "loans"}

    fair = tmp_path / "fair.jsonl"
    write_stream(fair, end, 8, {"a": 0.5, "b": 0.5}, rng)
    messages = run_monitor(topology, fair, state, flush=True)
    resolved = [m for m in messages if m["type"] == "fairness.alert"]
    assert {m["dedup_key"] for m in resolved} == set(ours)
    assert all(m["status"] == "resolved" and m["ends_at"] > m["starts_at"] for m in resolved)

    deadline = time.time() + 15
    while get(alertmanager + "/api/v2/alerts?active=true"):
        assert time.time() < deadline, get(alertmanager + "/api/v2/alerts")
        time.sleep(0.2)


def kafka_alert_topology(path, name, alertmanager, alerts="", webhook=""):
    """A raw-mode four-fifths topology read from `<name>-in` that posts its alerts to `alertmanager`
    (none when it is None); `alerts` adds lines to the `alerts:` section, `webhook` keys to its webhook."""
    if alertmanager is not None:
        alerts += f"""
    webhook: {{type: alertmanager, url: "{alertmanager}"{webhook}}}"""
    path.write_text(f"""
name: {name}
input:
  topic: {name}-in
  event_time: {{field: event_time}}
fairness:
  mode: raw
  sensitive: [g]
  prediction: approved
  window: {{type: tumbling, size: 1m}}
  watermark: {{max_out_of_orderness: 1s}}
  min_group_size: 20
  four_fifths: {{enabled: true, threshold: 0.8, metrics: [demographic_parity_ratio]}}
  alerts:
    pipeline: {name}
    {alerts}
delivery: at_least_once
""")
    return path


def test_steward_run_posts_committed_alerts_to_alertmanager(tmp_path, alertmanager, mock_broker):
    """The Kafka runtime publishes alerts on <name>.alerts and, once the batch is committed, posts
    them to the topology's webhook."""
    import uuid

    from kafka_peer import consume_all, produce

    name = f"am{uuid.uuid4().hex[:8]}"
    topology = kafka_alert_topology(
        tmp_path / "topology.yaml", name, alertmanager, "runbook_url: https://runbooks.example/fairness")
    rng = random.Random(9)
    start = (int(time.time()) - 3 * 3600) * 1000 // 60_000 * 60_000
    stream = tmp_path / "stream.jsonl"
    write_stream(stream, start, 3, {"a": 0.9, "b": 0.3}, rng)
    values = stream.read_bytes().splitlines()
    produce(mock_broker.bootstrap, f"{name}-in", values)
    result = subprocess.run(
        [STEWARD, "run", str(topology), "--brokers", mock_broker.bootstrap, "--group", f"{name}-g",
         "--max-messages", str(len(values)), "--property", "session.timeout.ms=6000"],
        capture_output=True, text=True, timeout=180, env=mock_broker.env)
    assert result.returncode == 0, result.stderr[-2000:]
    published = consume_all(mock_broker.bootstrap, [f"{name}.alerts"], expected=1, timeout=30)[f"{name}.alerts"]
    assert published, "no alert on the alerts topic"
    fired = [json.loads(v)["data"] for _, _, v in published]
    assert all(a["rule"] == "four_fifths" and a["status"] == "firing" for a in fired)
    deadline = time.time() + 15
    while True:
        alerts = [a for a in get(alertmanager + "/api/v2/alerts") if a["labels"].get("pipeline") == name]
        if alerts:
            break
        assert time.time() < deadline, "Alertmanager did not receive the alert"
        time.sleep(0.2)
    assert {a["labels"]["dedup_key"] for a in alerts} == {a["dedup_key"] for a in fired}


def test_a_firing_alert_stays_firing_while_its_condition_holds_then_resolves(tmp_path, mock_broker):
    """Alertmanager resolves a firing alert after its resolve_timeout unless it is sent again. With
    resolve_timeout 2 s and resend_interval 1 s, an alert fired from a stream stays active for more
    than three resolve_timeouts while `steward run` keeps running, and resolves once later windows
    clear the condition."""
    import uuid

    from kafka_peer import produce

    name = f"rs{uuid.uuid4().hex[:8]}"
    with running_alertmanager(tmp_path, resolve_timeout="2s") as alertmanager:
        topology = kafka_alert_topology(
            tmp_path / "topology.yaml", name, alertmanager, "resolve_after: 1", ", resend_interval: 1s")
        rng = random.Random(5)
        start = (int(time.time()) - 3 * 3600) * 1000 // 60_000 * 60_000
        unfair = tmp_path / "unfair.jsonl"
        after = write_stream(unfair, start, 3, {"a": 0.9, "b": 0.3}, rng)
        produce(mock_broker.bootstrap, f"{name}-in", unfair.read_bytes().splitlines())
        run = subprocess.Popen(
            [STEWARD, "run", str(topology), "--brokers", mock_broker.bootstrap, "--group", f"{name}-g",
             "--idle-timeout", "60", "--property", "session.timeout.ms=6000"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=mock_broker.env)
        try:
            def active():
                return [a for a in get(alertmanager + "/api/v2/alerts?active=true&silenced=false&inhibited=false")
                        if a["labels"].get("pipeline") == name and a["status"]["state"] == "active"]

            deadline = time.time() + 60
            while not active():
                assert time.time() < deadline, "the alert never reached Alertmanager"
                time.sleep(0.2)
            first_seen = time.time()
            while time.time() < first_seen + 3 * 2 + 1:  # three resolve_timeouts and a margin
                assert active(), "Alertmanager resolved a firing alert that Steward had not resolved"
                time.sleep(0.5)
            fair = tmp_path / "fair.jsonl"
            write_stream(fair, after, 3, {"a": 0.5, "b": 0.5}, rng)
            produce(mock_broker.bootstrap, f"{name}-in", fair.read_bytes().splitlines())
            deadline = time.time() + 60
            while active():
                assert time.time() < deadline, "the alert did not resolve after the condition cleared"
                time.sleep(0.2)
        finally:
            run.terminate()
            stdout, stderr = run.communicate(timeout=60)
        assert run.returncode == 0, stderr[-2000:]
