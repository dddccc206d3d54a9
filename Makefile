# The two commands of the README: `make demo` and `make test`. Both install what they need.
SHELL := /bin/bash
VENV := .venv
REQUIREMENTS := $(sort $(wildcard Tests/python/requirements-*.txt))
# `steward --version` names the commit it was built from (Package.swift reads this).
export STEWARD_BUILD_COMMIT := $(shell scripts/build-commit.sh)

.PHONY: demo test deps test-deps venv build release clean

## Runs the governance job for 60 s: chats, finance and clicks on an embedded broker, fed by the
## generator (a drift midway into chats fires its fairness alert), with a live view and the status page.
demo: deps
	swift build --product steward
	.build/debug/steward demo

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
