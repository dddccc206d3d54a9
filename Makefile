# The two commands of the README: `make demo` and `make test`. Both install what they need.
SHELL := /bin/bash
VENV := .venv
REQUIREMENTS := $(sort $(wildcard Tests/python/requirements-*.txt))
# `steward --version` names the commit it was built from (Package.swift reads this).
export STEWARD_BUILD_COMMIT := $(shell scripts/build-commit.sh)

.PHONY: demo test deps test-deps venv build release clean

## Runs the pass-through topology on an embedded broker and prints what came out.
demo: deps
	swift build --product steward
	.build/debug/steward demo --topology Topologies/passthrough.yaml --input Topologies/samples/passthrough.jsonl

## Builds everything and runs every test: Swift unit and integration tests, then the
## Python reference and end-to-end tests, against brokers the run starts and stops itself.
test: test-deps venv
	scripts/test.sh

deps:
	@scripts/install-deps.sh

test-deps:
	@scripts/install-deps.sh --test

venv: $(VENV)/.installed

$(VENV)/.installed: $(REQUIREMENTS)
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet $(addprefix -r ,$(REQUIREMENTS))
	touch $@

build: deps
	swift build

release: deps
	swift build -c release

clean:
	rm -rf .build $(VENV)
