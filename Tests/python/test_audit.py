"""The tamper-evident audit log end to end: `steward replay` writes it, `steward audit verify`
recomputes it from the output files and names the first inconsistency after each kind of
tampering, `audit prove` / `verify-proof` show one record's inclusion, and a Kafka run over one
partition writes the same audit bytes as a replay of that partition."""
import json
import os
import pathlib
import subprocess
import tempfile
import uuid

import pytest

from kafka_peer import consume_all, produce

ROOT = pathlib.Path(__file__).resolve().parents[2]
AUDIT_KEY = "3c" * 32
ENV = {**os.environ, "STEWARD_NOISE_KEY": "5a" * 32, "STEWARD_AUDIT_KEY": AUDIT_KEY,
       "STEWARD_REDACTION_KEY": "hex:" + "11" * 32}


def steward(steward_bin, *args, env=ENV, check=True):
    done = subprocess.run([steward_bin, *args], env=env, capture_output=True, text=True, timeout=300)
    if check:
        assert done.returncode == 0, f"steward {args[0]} failed ({done.returncode}):\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def replayed(steward_bin):
    """The chats topology over 1,200 sample lines, with `audit.every` 200: (output dir, topology)."""
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="audit-"))
    topology = workdir / "chats.yaml"
    text = (ROOT / "Topologies" / "chats.yaml").read_text().replace("../Models/", str(ROOT / "Models") + "/")
    topology.write_text(text + "audit: {every: 200, checkpoint_interval: 2}\n")
    lines = (ROOT / "Topologies" / "samples" / "chats.jsonl").read_bytes().splitlines(keepends=True)[:1200]
    (workdir / "in.jsonl").write_bytes(b"".join(lines))
    steward(steward_bin, "replay", str(topology), "--input", str(workdir / "in.jsonl"), "--output-dir", str(workdir / "out"))
    return workdir / "out", topology


@pytest.fixture(scope="module")
def pubkey(steward_bin):
    key = steward(steward_bin, "audit", "pubkey").stdout.strip()
    assert key.startswith("ed25519:") and len(key) == len("ed25519:") + 64
    assert AUDIT_KEY not in key
    return key


def copy_outputs(out):
    target = pathlib.Path(tempfile.mkdtemp(prefix="tampered-"))
    for file in out.glob("*.jsonl"):
        (target / file.name).write_bytes(file.read_bytes())
    return target


def verify(steward_bin, out, pubkey, *extra):
    return steward(steward_bin, "audit", "verify", "--audit", str(out / "chats.audit.jsonl"), "--outputs", str(out),
                   "--pubkey", pubkey, *extra, check=False)


def lines(path):
    return path.read_bytes().splitlines(keepends=True)


def test_every_output_carries_its_lineage(replayed):
    out, _ = replayed
    for file in out.glob("*.jsonl"):
        for line in lines(file):
            event = json.loads(line)
            assert len(event["topologysha256"]) == 64
            assert event["stewardversion"].count(".") == 2 and "commit" not in event["stewardversion"]
            assert event["policyid"].split("/")[1] != "none"
            if file.name == "chats.sanitized.jsonl":
                assert event["modelsha256"] == event["data"]["scoring"]["model"]["sha256"]
            else:
                assert "modelsha256" not in event


def test_the_untouched_log_verifies(steward_bin, replayed, pubkey):
    out, _ = replayed
    done = verify(steward_bin, out, pubkey, "--complete")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["verified"] and summary["final"] and summary["signatures_checked"]
    assert summary["entries"] == 7  # 6 × 200 records, then the shutdown entry
    total = sum(len(lines(f)) for f in out.glob("*.jsonl") if not f.name.endswith(".audit.jsonl"))
    assert summary["outputs"] == total


@pytest.mark.parametrize("kind", ["modify", "delete", "insert", "swap"])
def test_a_tampered_output_is_named(steward_bin, replayed, pubkey, kind):
    out, _ = replayed
    tampered = copy_outputs(out)
    path = tampered / "chats.sanitized.jsonl"
    rows = lines(path)
    index = 333
    victim = json.loads(rows[index])["id"]
    if kind == "modify":
        rows[index] = rows[index].replace(b'"region":"', b'"region":"x', 1)
    elif kind == "delete":
        del rows[index]
    elif kind == "insert":
        rows.insert(index, rows[index])
    else:
        rows[index], rows[index + 1] = rows[index + 1], rows[index]
    path.write_bytes(b"".join(rows))
    done = verify(steward_bin, tampered, pubkey)
    assert done.returncode == 1
    message = done.stderr
    assert message.startswith("audit verify: ")
    if kind == "insert":
        assert f"output {victim} on chats.sanitized appears twice" in message, message
    elif kind == "swap":
        assert f"is out of order" in message, message
    elif kind == "delete":
        assert "was deleted" in message, message
    else:
        assert victim in message or " to " in message, message


@pytest.mark.parametrize("kind", ["modify", "delete", "swap", "truncate", "drop-final"])
def test_a_tampered_audit_message_is_named(steward_bin, replayed, pubkey, kind):
    out, _ = replayed
    tampered = copy_outputs(out)
    path = tampered / "chats.audit.jsonl"
    rows = lines(path)
    if kind == "modify":
        rows[2] = rows[2].replace(b'"count":200', b'"count":201', 1)
    elif kind == "delete":
        del rows[2]
    elif kind == "swap":
        rows[2], rows[3] = rows[3], rows[2]
    elif kind == "truncate":
        rows = rows[:-2]
    else:
        # The log ended just after a cut, so the final entry covers nothing: without it the rest is a
        # consistent, signed log of a run still going; only --complete tells.
        assert json.loads(rows[-1])["data"]["inputs"] == []
        rows = rows[:-1]
    path.write_bytes(b"".join(rows))
    done = verify(steward_bin, tampered, pubkey, "--complete")
    assert done.returncode == 1
    if kind == "truncate":
        assert "is not covered by the audit log" in done.stderr, done.stderr
    elif kind == "drop-final":
        assert "does not end with a final entry" in done.stderr, done.stderr
        assert verify(steward_bin, tampered, pubkey).returncode == 0
    else:
        assert "audit message audit/chats/" in done.stderr, done.stderr


def test_a_wrong_key_is_reported_as_a_bad_signature(steward_bin, replayed):
    out, _ = replayed
    other = steward(steward_bin, "audit", "pubkey", env={**ENV, "STEWARD_AUDIT_KEY": "7e" * 32}).stdout.strip()
    done = verify(steward_bin, out, other)
    assert done.returncode == 1
    assert "signature is not valid" in done.stderr, done.stderr


def test_an_inclusion_proof_shows_one_record(steward_bin, replayed, pubkey):
    out, _ = replayed
    record = json.loads(lines(out / "chats.sanitized.jsonl")[777])
    proof = steward(steward_bin, "audit", "prove", "--audit", str(out / "chats.audit.jsonl"), "--outputs", str(out),
                    "--id", record["id"]).stdout
    parsed = json.loads(proof)
    assert parsed["id"] == record["id"] and json.loads(parsed["message"]) == record
    assert "signature" in parsed["checkpoint"]
    proof_file = out.parent / "proof.json"
    proof_file.write_text(proof)
    done = steward(steward_bin, "audit", "verify-proof", "--proof", str(proof_file), "--pubkey", pubkey)
    assert record["id"] in done.stdout and "signed by key" in done.stdout
    parsed["message"] = parsed["message"].replace('"region":"', '"region":"x', 1)
    proof_file.write_text(json.dumps(parsed))
    done = steward(steward_bin, "audit", "verify-proof", "--proof", str(proof_file), "--pubkey", pubkey, check=False)
    assert done.returncode == 1 and "does not lead to the checkpoint's root" in done.stderr


def test_kafka_run_writes_the_same_audit_bytes_as_a_replay(steward_bin, mock_broker):
    """One input partition (every record has the same key): the Kafka run's audit topic, read back
    by an independent client, equals the replay's audit file byte for byte, and verifies against the
    outputs read back from Kafka."""
    broker = mock_broker
    name = f"au{uuid.uuid4().hex[:8]}"
    topic = f"{name}-in"
    workdir = pathlib.Path(tempfile.mkdtemp(prefix=name))
    topology = workdir / f"{name}.yaml"
    topology.write_text(f"""name: {name}
input:
  topic: {topic}
  required: [id]
  fields: {{id: string}}
audit: {{every: 40, checkpoint_interval: 2}}
delivery: exactly_once
""")
    values = [json.dumps({"id": f"r{i:04d}", "n": i}).encode() if i % 17 else b"{broken" for i in range(230)]
    positions = produce(broker.bootstrap, topic, values, keys=[b"one"] * len(values))
    partition = positions[0][0]
    assert {p for p, _ in positions} == {partition}
    offsets = [o for _, o in positions]
    run = subprocess.run([steward_bin, "run", str(topology), "--brokers", broker.bootstrap, "--group", f"{name}-g",
                          "--max-messages", str(len(values)), "--max-batch", "33",
                          "--property", "session.timeout.ms=6000"],
                         env={**broker.env, "STEWARD_AUDIT_KEY": AUDIT_KEY}, capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr[-3000:]
    topics = [f"{name}.sanitized", f"{name}.dlq", f"{name}.audit"]
    read = consume_all(broker.bootstrap, topics, expected=len(values) + 6)
    kafka = {t: [v for _, _, v in sorted(read[t], key=lambda m: (m[0], m[1]))] for t in topics}
    assert len({p for p, _, _ in read[f"{name}.audit"]}) == 1

    (workdir / "in.jsonl").write_bytes(b"".join(v + b"\n" for v in values))
    steward(steward_bin, "replay", str(topology), "--input", str(workdir / "in.jsonl"), "--output-dir",
            str(workdir / "out"), "--topic", topic, "--partition", str(partition), "--start-offset", str(offsets[0]))
    replay_audit = lines(workdir / "out" / f"{name}.audit.jsonl")
    assert len(replay_audit) == 6  # one entry per 40 records, then the shutdown entry for the last 30
    assert [v + b"\n" for v in kafka[f"{name}.audit"]] == replay_audit

    dump = workdir / "dump"
    dump.mkdir()
    for t in topics:
        (dump / f"{t}.jsonl").write_bytes(b"".join(v + b"\n" for v in kafka[t]))
    pubkey = steward(steward_bin, "audit", "pubkey").stdout.strip()
    done = steward(steward_bin, "audit", "verify", "--audit", str(dump / f"{name}.audit.jsonl"), "--outputs", str(dump),
                   "--pubkey", pubkey, check=False)
    assert done.returncode == 0, done.stderr
    # The same check reading the topics from the broker directly.
    done = steward(steward_bin, "audit", "verify", "--brokers", broker.bootstrap, "--name", name, "--pubkey", pubkey,
                   "--complete", env={**broker.env, "STEWARD_AUDIT_KEY": AUDIT_KEY}, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["outputs"] == len(values)
