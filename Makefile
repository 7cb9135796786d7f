# Faultline's local stack. Everything runs from .venv/bin, so nothing needs activating.
.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV := .venv
PY := $(VENV)/bin/python
FAULTLINE := $(VENV)/bin/faultline
PYTEST_ARGS ?=
UP_ARGS ?=

.PHONY: help bootstrap up down clean status verify test

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

bootstrap: ## install what is missing (apt, Kafka jars, Mailpit, .venv); quiet when all is there
	@bash infra/bootstrap.sh

up: bootstrap ## start Kafka, Redis, Mailpit, HAProxy and 2 replicas of each service; wait until ready (UP_ARGS=--infra-only)
	@$(FAULTLINE) up $(UP_ARGS)

down: ## stop everything, keep data
	@if [ -x $(FAULTLINE) ]; then $(FAULTLINE) down; else echo "nothing to stop (no $(VENV))"; fi

clean: ## stop everything and delete Kafka, Redis and Mailpit data
	@if [ -x $(FAULTLINE) ]; then $(FAULTLINE) clean; else echo "nothing to clean (no $(VENV))"; fi

status: ## table of every program: port, pid, state, ready
	@if [ -x $(FAULTLINE) ]; then $(FAULTLINE) status; else echo "not bootstrapped: run make up"; fi

verify: bootstrap ## check the running system's invariants through its APIs
	@$(FAULTLINE) verify

test: bootstrap ## run the whole test suite (PYTEST_ARGS=... to pass options)
	$(PY) -m pytest $(PYTEST_ARGS) tests
