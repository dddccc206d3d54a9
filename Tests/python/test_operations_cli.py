"""What an operator meets on the command line: `--version`, log formats and levels, and no secret
property value in any log line."""

import json
import re
import subprocess
import uuid

from test_pipeline_e2e import make_records, new_pipeline, run_steward
from kafka_peer import produce

# Secret-bearing librdkafka properties that librdkafka accepts on a PLAINTEXT connection; the value
# of each is a marker that must never reach a log line. (Every name the redaction rule covers is
# checked in Tests/IntegrationTests/SecretPropertyTests.swift.)
SECRETS = {
    "sasl.password": "pw-MARKER-1",
    "sasl.username": "user-not-secret",
    "ssl.key.password": "kp-MARKER-2",
    "ssl.keystore.password": "ksp-MARKER-3",
    "sasl.oauthbearer.config": "principal=MARKER-4",
}


def test_version_names_the_release_and_the_commit(steward_bin):
    out = subprocess.run([steward_bin, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    match = re.fullmatch(r"\d+\.\d+\.\d+ \(commit ([0-9a-f]{40}(-dirty)?|unknown)\)", out)
    assert match, out
    if head:  # built from this checkout: the commit is the checkout's (maybe with local changes)
        assert match.group(1).split("-")[0] == head, (out, head)


def run_with_secrets(steward_bin, broker, *extra):
    name, topic, sanitized, dlq, workdir, topology = new_pipeline(broker, "ops")
    values, _ = make_records(50, bad_per_kind=1)
    produce(broker.bootstrap, topic, values)
    args = ["--max-messages", str(len(values)), "--idle-timeout", "20", *extra]
    for key, value in SECRETS.items():
        args += ["--property", f"{key}={value}"]
    done = subprocess.run([steward_bin, "run", topology, "--brokers", broker.bootstrap, "--group", f"{name}-g",
                           "--property", "session.timeout.ms=6000", *args],
                          env=broker.env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stderr


def test_no_secret_property_value_is_logged(steward_bin, mock_broker):
    logs = run_with_secrets(steward_bin, mock_broker, "--log-level", "trace")
    assert "pipeline started" in logs
    for key, value in SECRETS.items():
        if "MARKER" in value:
            assert value not in logs, f"{key}'s value was logged"
            assert f"{key}=<redacted>" in logs
    assert "sasl.username=user-not-secret" in logs


def test_json_logs_are_one_object_per_line(steward_bin, mock_broker):
    logs = run_with_secrets(steward_bin, mock_broker, "--log-format", "json")
    lines = [line for line in logs.splitlines() if line.strip()]
    assert lines
    parsed = [json.loads(line) for line in lines]
    started = [entry for entry in parsed if entry["message"] == "pipeline started"]
    assert started and started[0]["level"] == "info" and started[0]["label"] == "steward"
    assert all({"ts", "level", "label", "message"} <= entry.keys() for entry in parsed)
    assert all("MARKER" not in line for line in lines)


def test_log_level_filters(steward_bin, mock_broker):
    logs = run_with_secrets(steward_bin, mock_broker, "--log-level", "error")
    assert "pipeline started" not in logs
