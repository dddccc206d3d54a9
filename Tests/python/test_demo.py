"""`steward demo` with no topology: the three shipped topologies on the embedded broker, fed by the
generator, and the chats fairness alert firing from the drift it injects midway."""
import json
import os
import re
import signal
import subprocess
import time

from conftest import ROOT, free_port, wait_for_port
from test_operations_http import ARTEFACTS, CHROMIUM, fetch, render

# Short and fast, for two loaded cores: 600 records/s each for 30 s. The drift starts at record
# 11,400 of chats, once its 36-window baseline is learned, and leaves 6,600 drifting records.
DURATION, RATE = 30, 600


def test_demo_runs_the_three_topologies_and_the_chats_alert_fires(steward_bin):
    steward = os.environ.get("STEWARD_RELEASE_BIN") or steward_bin
    port = free_port()
    env = dict(os.environ)
    env.pop("STEWARD_NOISE_KEY", None)  # the demo makes its own
    demo = subprocess.Popen(
        [steward, "demo", "--duration", str(DURATION), "--rate", str(RATE), "--http-port", str(port),
         "--http-host", "127.0.0.1"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    page = None
    try:
        wait_for_port(port, timeout=60)
        # While it runs: the status page shows the three topologies, and chats' firing alert once it fires.
        while demo.poll() is None and page is None:
            status, body, _ = fetch(f"http://127.0.0.1:{port}/")
            if status == 200 and re.search(r'id="topology-chats".*<table id="alerts-firing">', body, re.S):
                page = body
                if CHROMIUM:
                    ARTEFACTS.mkdir(parents=True, exist_ok=True)
                    screenshot = ARTEFACTS / "demo-status-page.png"
                    screenshot.unlink(missing_ok=True)
                    page = render(f"http://127.0.0.1:{port}/", screenshot)
                    (ARTEFACTS / "demo-status-page.html").write_text(page)
            time.sleep(1)
        stdout, stderr = demo.communicate(timeout=DURATION + 120)
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.communicate()
    assert demo.returncode == 0, stderr[-3000:]
    assert f"status page: http://127.0.0.1:{port}/" in stdout
    assert page is not None, "the status page never showed a firing chats alert"
    for name in ("chats", "finance", "clicks"):
        assert f'id="topology-{name}"' in page
    chats = page.split('id="topology-chats"', 1)[1].split('<section class="topology"', 1)[0]
    firing = re.search(r'<table id="alerts-firing">(.*?)</table>', chats, re.S)
    assert firing and "chats/fairness/drift/region/demographic_parity_difference" in firing.group(1), chats[-3000:]
    fired = [line for line in stdout.splitlines() if line.startswith("alert firing: chats drift region group north")]
    assert fired, stdout[-4000:]
    processed = {m.group(1): json.loads(m.group(2)) for m in re.finditer(r"^processed (\w+): (\{.*\})$", stdout, re.M)}
    assert sorted(processed) == ["chats", "clicks", "finance"], stdout[-2000:]
    for name, counters in processed.items():
        assert counters["sanitized"] > 1000, (name, counters)
        assert counters["consumed"] == counters["sanitized"] + counters["dead_lettered"]
        # One generated record in 500 is malformed on purpose.
        assert set(counters["dead_letters_by_reason"]) <= {"invalid_json", "missing_field", "wrong_type"}, counters
    # The live view's periodic lines (stdout is not a terminal) show redactions and DP counts with the budget.
    assert re.search(r"chats: \d+ records/s, consumed \d+, dead letters \d+", stdout)
    assert "redactions (" in stdout and "EMAIL_ADDRESS" in stdout
    assert re.search(r"blt ρ [\d.]+ per user, spent ρ [\d.]+", stdout)
    assert "region selection rate: " in stdout


def test_ctrl_c_stops_the_demo_cleanly_with_its_summary(steward_bin):
    env = dict(os.environ)
    env.pop("STEWARD_NOISE_KEY", None)
    demo = subprocess.Popen([steward_bin, "demo", "--duration", "600", "--rate", "200", "--http-port", "0"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        started = time.monotonic()
        for line in demo.stdout:
            # The second round of status lines: the pipelines have joined and processed records.
            if line.startswith("[5 s] clicks:") or time.monotonic() - started > 60:
                break
        demo.send_signal(signal.SIGINT)
        stdout, stderr = demo.communicate(timeout=60)
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.communicate()
    assert demo.returncode == 0, stderr[-3000:]
    assert time.monotonic() - started < 120
    processed = dict(re.findall(r"^processed (\w+): (\{.*\})$", stdout, re.M))
    assert sorted(processed) == ["chats", "clicks", "finance"], stdout[-2000:]
    assert all(json.loads(counters)["consumed"] > 0 for counters in processed.values()), processed
