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

# Fast tiers first, so a broken unit test fails the run before any stack starts.
TEST_TIERS ?= $(wildcard tests/unit tests/deploy tests/integration tests/e2e)

test: bootstrap ## run the whole test suite: unit, deploy, integration, e2e (PYTEST_ARGS=..., TEST_TIERS=tests/unit)
	$(PY) -m pytest $(PYTEST_ARGS) $(TEST_TIERS)

# --- Kubernetes delivery: images proven with podman here; kind + skaffold on a laptop with Docker ------------
TOOLS_BIN := $(or $(FAULTLINE_CACHE),$(HOME)/.cache/faultline)/bin

.PHONY: deploy-check images images-smoke kind-up deploy kind-down

deploy-check: bootstrap ## chart lint+template, schemas (k8s 1.31/1.34), policies, skaffold, drift; no cluster
	$(PY) -m pytest $(PYTEST_ARGS) tests/deploy

images: ## build faultline/{order,cart,inventory,email} with podman (root; see infra/images)
	@bash infra/images/build.sh

images-smoke: bootstrap images ## run the 4 images on the local stack's Kafka/Redis/Mailpit, kill one, verify
	@bash infra/images/smoke.sh

kind-up: ## kind create cluster (1 control plane + 2 workers, NodePorts on localhost); needs Docker
	PATH="$(TOOLS_BIN):$$PATH" kind create cluster --config k8s/kind-cluster.yaml

deploy: ## skaffold run: build the 4 images, load them into kind, helm upgrade --install charts/faultline
	PATH="$(TOOLS_BIN):$$PATH" skaffold run

kind-down: ## delete the kind cluster
	PATH="$(TOOLS_BIN):$$PATH" kind delete cluster --name faultline
