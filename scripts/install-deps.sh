#!/usr/bin/env bash
# Installs the system packages Steward needs, only when something is missing (Debian).
# With --test, also what the test suite needs.
set -euo pipefail

missing=()
pkg-config --exists rdkafka 2>/dev/null || missing+=(librdkafka-dev)
command -v pkg-config >/dev/null || missing+=(pkg-config)
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
command -v python3 >/dev/null || missing+=(python3)
# A real Alertmanager for the alert-sink test (started on 127.0.0.1 by the test itself), and more below.
if [[ "${1:-}" == "--test" ]]; then
    command -v prometheus-alertmanager >/dev/null || [[ -x /usr/bin/prometheus-alertmanager ]] || missing+=(prometheus-alertmanager)
    # promtool and a Prometheus server for the /metrics tests, Chromium to render the status page.
    command -v promtool >/dev/null && command -v prometheus >/dev/null || missing+=(prometheus)
    command -v chromium >/dev/null || missing+=(chromium)
fi

if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    SUDO=""
    if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
command -v swift >/dev/null || { echo "Swift 6 toolchain not found on PATH (https://www.swift.org/install/linux/)"; exit 1; }
