"""The compose stack's files (Docker/), tested without a Docker engine: promtool and amtool on the
Prometheus and Alertmanager files, the compose file's shape and mounts, the Grafana provisioning,
and every PromQL expression of the rules and the dashboard checked by promtool and against the
metrics a live `steward run` exposes while `steward generate` feeds it a drifting stream."""
import json
import re
import subprocess
import uuid

import yaml

from conftest import ROOT
from test_operations_http import PROMTOOL, LiveRun, chats_topology, require

DOCKER = ROOT / "Docker"
AMTOOL = __import__("shutil").which("amtool")
TOPOLOGIES = ["chats", "finance", "clicks"]
INPUT_TOPICS = {"chats": "chats", "finance": "finance-posts", "clicks": "clicks"}
# Words of PromQL that are not metric names.
KEYWORDS = {"by", "without", "and", "or", "unless", "on", "ignoring", "group_left", "group_right", "bool", "offset"}


def compose():
    return yaml.safe_load((DOCKER / "compose.yaml").read_text())


def rule_expressions():
    rules = yaml.safe_load((DOCKER / "prometheus" / "steward-rules.yml").read_text())
    return [rule["expr"] for group in rules["groups"] for rule in group["rules"]]


def dashboard_expressions():
    dashboard = json.loads((DOCKER / "grafana" / "dashboards" / "steward.json").read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    exprs += [a["expr"] for a in dashboard["annotations"]["list"] if "expr" in a]
    return exprs


def metric_names(expr):
    """The metric names an expression reads: identifiers that are not functions, keywords, label
    names inside {…} or by (…), durations, or strings."""
    text = re.sub(r'"[^"]*"', "", expr)
    text = re.sub(r"\{[^}]*\}", "", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", text):
        following = text[match.end():].lstrip()
        if following.startswith("(") or match.group(0) in KEYWORDS:
            continue
        if re.fullmatch(r"\d.*|[eE]\d*", match.group(0)):
            continue
        names.add(match.group(0))
    return names


def test_prometheus_and_alertmanager_files_pass_their_checkers():
    require(PROMTOOL, "prometheus (promtool)")
    config = subprocess.run([PROMTOOL, "check", "config", str(DOCKER / "prometheus" / "prometheus.yml")],
                            capture_output=True, text=True)
    assert config.returncode == 0, config.stdout + config.stderr
    rules = subprocess.run([PROMTOOL, "check", "rules", str(DOCKER / "prometheus" / "steward-rules.yml")],
                           capture_output=True, text=True)
    assert rules.returncode == 0 and f"SUCCESS: {len(rule_expressions())} rules found" in rules.stdout, rules.stdout
    require(AMTOOL, "prometheus-alertmanager (amtool)")
    manager = subprocess.run([AMTOOL, "check-config", str(DOCKER / "alertmanager" / "alertmanager.yml")],
                             capture_output=True, text=True)
    assert manager.returncode == 0, manager.stdout + manager.stderr
    prometheus = yaml.safe_load((DOCKER / "prometheus" / "prometheus.yml").read_text())
    targets = prometheus["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert targets == ["alertmanager:9093"]
    scraped = prometheus["scrape_configs"][0]["dns_sd_configs"][0]["names"]
    # Every Steward service, chats' second instance too.
    assert sorted(scraped) == sorted([f"steward-{name}" for name in TOPOLOGIES] + ["steward-chats-2"])


def test_the_dashboards_expressions_are_valid_promql(tmp_path):
    require(PROMTOOL, "prometheus (promtool)")
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:expr_{i}", "expr": expr} for i, expr in enumerate(dashboard_expressions())]}]}
    path = tmp_path / "dashboard-rules.yml"
    path.write_text(yaml.safe_dump(rules))
    checked = subprocess.run([PROMTOOL, "check", "rules", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_compose_runs_kraft_kafka_a_steward_per_topology_the_generator_and_the_monitoring(steward_bin):
    services = compose()["services"]
    assert {"kafka", "prometheus", "alertmanager", "grafana"} <= services.keys()
    kafka = services["kafka"]["environment"]
    assert "controller" in kafka["KAFKA_PROCESS_ROLES"] and "KAFKA_CONTROLLER_QUORUM_VOTERS" in kafka
    assert "KAFKA_ZOOKEEPER_CONNECT" not in kafka
    for name in TOPOLOGIES:
        service = services[f"steward-{name}"]
        command = service["command"]
        assert command[:2] == ["run", f"/etc/steward/topologies/{name}.yaml"]
        assert command[command.index("--brokers") + 1] == "kafka:9092"
        # A stable identity: the service name and its replica, also the container's host name.
        assert command[command.index("--instance-id") + 1] == f"steward-{name}-1" == service["hostname"]
        assert service["build"]["dockerfile"] == "Docker/Dockerfile"
        assert "STEWARD_NOISE_KEY" in service["environment"]
        feed = services[f"generate-{name}"]["command"]
        assert feed[:3] == ["generate", "--scenario", name]
        assert feed[feed.index("--brokers") + 1] == "kafka:9092"
        assert feed[feed.index("--topic") + 1] == INPUT_TOPICS[name]
        assert feed[feed.index("--topologies") + 1] == "/etc/steward/topologies"
        topology = (ROOT / "Topologies" / f"{name}.yaml").read_text()
        assert re.search(rf"^  topic: {re.escape(INPUT_TOPICS[name])}$", topology, re.M), name
    # chats runs on two instances that share it (--scale-out on both), each with its own identity.
    second = services["steward-chats-2"]["command"]
    assert "--scale-out" in services["steward-chats"]["command"] and "--scale-out" in second
    assert second[second.index("--instance-id") + 1] == "steward-chats-2" == services["steward-chats-2"]["hostname"]
    assert "steward-chats-2" in (DOCKER / "prometheus" / "prometheus.yml").read_text()
    run_help = subprocess.run([steward_bin, "run", "--help"], capture_output=True, text=True).stdout
    assert "--scale-out" in run_help
    # The generate flags the compose file uses are ones `steward generate` accepts.
    help_text = subprocess.run([steward_bin, "generate", "--help"],
                               capture_output=True, text=True).stdout
    for flag in {word for name in TOPOLOGIES for word in services[f"generate-{name}"]["command"] if word.startswith("--")}:
        assert flag in help_text, flag


def test_every_path_the_compose_file_mounts_or_builds_from_exists():
    services = compose()["services"]
    mounts = [volume.split(":")[0] for service in services.values() for volume in service.get("volumes", [])]
    assert mounts, "nothing mounted"
    for source in mounts:
        assert (DOCKER / source).exists(), f"compose mounts {source}, which does not exist"
    for service in services.values():
        if "build" in service:
            context = DOCKER / service["build"]["context"]
            assert (context / service["build"]["dockerfile"]).exists()
    provisioning = DOCKER / "grafana" / "provisioning"
    source = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())["datasources"][0]
    assert source["url"] == "http://prometheus:9090"
    provider = yaml.safe_load((provisioning / "dashboards" / "steward.yml").read_text())["providers"][0]
    grafana_mounts = dict(volume.split(":")[:2] for volume in services["grafana"]["volumes"])
    dashboards = next(host for host, inside in grafana_mounts.items() if inside == provider["options"]["path"])
    files = list((DOCKER / dashboards).glob("*.json"))
    assert files, "no dashboard where the provider looks"
    for path in files:
        dashboard = json.loads(path.read_text())
        uids = {panel["datasource"]["uid"] for panel in dashboard["panels"]}
        assert uids == {source["uid"]}, uids


def test_every_expression_names_only_metrics_a_live_run_exposes(steward_bin, mock_broker, tmp_path):
    """A live chats run, fed by `steward generate` with a drift so that windows close, drift tests
    run and an alert fires: then every metric family is on /metrics."""
    name = f"stack{uuid.uuid4().hex[:8]}"
    topology = chats_topology(tmp_path, name)
    run = LiveRun(steward_bin, mock_broker, topology, name)
    try:
        subprocess.run([steward_bin, "generate", "--scenario", "chats", "--brokers", mock_broker.bootstrap, "--topic",
                        f"{name}-in", "--count", "16000", "--seed", "9", "--malformed-every", "500", "--drift-at",
                        "11400", "--drift", "region=north:0.3"], check=True, cwd=ROOT, capture_output=True,
                       env=mock_broker.env)
        seen = run.wait_for(
            lambda v: v.get(f'steward_records_consumed_total{{topology="{name}"}}') == 16000
            and any(k.startswith("steward_alert_transitions_total{") for k in v)
            and any(k.startswith("steward_consumer_lag_messages{") for k in v),
            "every record consumed, an alert transition and the consumer lag")
    finally:
        run.stop()
    exposed = {re.match(r"[a-z_]+", k).group(0) for k in seen}
    exposed |= {re.sub(r"_(bucket|count|sum)$", "", metric) for metric in exposed}
    # `up` is the one series Prometheus itself adds to every scrape.
    exposed.add("up")
    for source, exprs in [("steward-rules.yml", rule_expressions()), ("steward.json", dashboard_expressions())]:
        for expr in exprs:
            names = metric_names(expr)
            assert names, f"{source}: no metric found in {expr}"
            missing = names - exposed
            assert not missing, f"{source}: {expr} reads {sorted(missing)}, which a live instance does not expose"


def test_the_image_build_copies_what_the_manifest_needs_and_leaves_build_products_out():
    text = (DOCKER / "Dockerfile").read_text()
    build_stage = text.split("\nFROM ", 2)[1]  # [comments, build stage, runtime stage]
    copied = {line.split()[1] for line in build_stage.splitlines() if line.startswith("COPY ")}
    manifest = (ROOT / "Package.swift").read_text()
    # Every target folder the manifest implies (Sources/<name>, Tests/<name>) is inside a copied folder.
    assert "Package.swift" in copied
    if ".testTarget(" in manifest:
        assert "Tests" in copied, "the manifest declares test targets, whose folders SwiftPM requires"
    assert "Sources" in copied
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".build" in ignored and ".venv" in ignored
