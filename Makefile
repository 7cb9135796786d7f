# Faultline's local stack. Everything runs from .venv/bin, so nothing needs activating.
.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV := .venv
PY := $(VENV)/bin/python
FAULTLINE := $(VENV)/bin/faultline
PYTEST_ARGS ?=
UP_ARGS ?=

.PHONY: help bootstrap up down clean status verify test control-room-png

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
TEST_TIERS ?= $(wildcard tests/unit tests/deploy tests/integration tests/e2e tests/browser)

test: bootstrap ## run the whole test suite: unit, deploy, integration, e2e, browser, then the HA short forms (PYTEST_ARGS=..., TEST_TIERS=tests/unit, TEST_HA=no)
	$(PY) -m pytest $(PYTEST_ARGS) $(TEST_TIERS)
	@$(MAKE) --no-print-directory test-ha-in-suite

.PHONY: test-e2e-under-load
E2E_LOAD_USERS ?= 10
E2E_LOAD_RUNS ?= 3

test-e2e-under-load: bootstrap ## the e2e tier E2E_LOAD_RUNS (3) times in a row, each beside E2E_LOAD_USERS (10) Locust shoppers
	@for run in $$(seq 1 $(E2E_LOAD_RUNS)); do \
	  echo "test-e2e-under-load: run $$run of $(E2E_LOAD_RUNS), $(E2E_LOAD_USERS) background shoppers"; \
	  FAULTLINE_E2E_BACKGROUND_USERS=$(E2E_LOAD_USERS) $(PY) -m pytest -s $(PYTEST_ARGS) tests/e2e || exit 1; \
	done

.PHONY: test-ha test-ha-in-suite

# The HA profile's own stack (three JVMs) and every HA experiment against it: full forms, or HA_FORM=short.
HA_FORM ?= full
test-ha: bootstrap ## the HA profile on its own stack: status, and every HA experiment (HA_FORM=full|short)
	FAULTLINE_HA_FORM=$(HA_FORM) $(PY) -m pytest $(PYTEST_ARGS) tests/ha

# `make test`'s last step: tests/ha with the short forms, on their own HA stack, once the other tiers' stack is down.
# Skipped when TEST_TIERS is given (then only the tiers named run); TEST_HA=no skips it too.
TEST_HA ?= $(if $(filter command line environment,$(origin TEST_TIERS)),no,yes)
test-ha-in-suite: bootstrap
	@if [ "$(TEST_HA)" = yes ]; then $(MAKE) --no-print-directory test-ha HA_FORM=short; \
	else echo "test: the HA short forms skipped (TEST_TIERS or TEST_HA=no; make test-ha HA_FORM=short runs them)"; fi

# README's pictures: taken by the browser tier on its own test stack (as `make test` starts it), then copied into
# docs/images/. DOC_SCREENSHOTS names reports/browser/<name>.png files; DOC_SCREENSHOT_TESTS the tests taking them.
DOC_SCREENSHOTS ?= checkout-trace
DOC_SCREENSHOT_TESTS ?= tests/browser/test_zipkin.py

.PHONY: screenshots

screenshots: bootstrap ## regenerate README's pictures (docs/images/*.png) with the browser tier
	$(PY) -m pytest $(PYTEST_ARGS) $(DOC_SCREENSHOT_TESTS)
	@mkdir -p docs/images; for name in $(DOC_SCREENSHOTS); do \
	  cp reports/browser/$$name.png docs/images/$$name.png && echo "docs/images/$$name.png"; done

control-room-png: bootstrap ## docs/images/control-room.png: the control room during a fault (own test stack, headless Chromium)
	$(PY) -m pytest $(PYTEST_ARGS) tests/browser/test_console.py -k cart_to_inventory_edge
	$(PY) infra/docs_image.py reports/browser/console-breaker-open.png docs/images/control-room.png

# --- Kubernetes delivery: images proven with podman here; kind + skaffold on a laptop with Docker ------------
TOOLS_BIN := $(or $(FAULTLINE_CACHE),$(HOME)/.cache/faultline)/bin

.PHONY: chart-docs deploy-check images images-smoke infra-images infra-images-smoke kind-up deploy kind-down

chart-docs: bootstrap ## regenerate charts/faultline/values.schema.json and its README values table from values.yaml
	$(PY) infra/values_docs.py

deploy-check: bootstrap ## chart lint+template, schemas (k8s 1.31/1.34), policies, skaffold, drift; no cluster
	$(PY) -m pytest $(PYTEST_ARGS) tests/deploy

images: ## build every service image (faultline_ops.services) with podman (root; see infra/images)
	@bash infra/images/build.sh

images-smoke: bootstrap images ## run the 4 images on the local stack's Kafka/Redis/Mailpit, kill one, verify
	@bash infra/images/smoke.sh

infra-images: bootstrap ## build the chart's Kafka, Redis, Zipkin, Mailpit, Collector and pause images with podman (root; infra/images)
	@bash infra/images/infra.sh

infra-images-smoke: bootstrap infra-images ## run each infra image as the chart does (Kafka 1 and 3 nodes, Redis, ...) and check it works
	@bash infra/images/infra_smoke.sh

kind-up: ## kind create cluster (1 control plane + 2 workers, NodePorts on localhost); needs Docker
	PATH="$(TOOLS_BIN):$$PATH" kind create cluster --config k8s/kind-cluster.yaml

deploy: ## skaffold run: build the 4 images, load them into kind, helm upgrade --install charts/faultline
	PATH="$(TOOLS_BIN):$$PATH" skaffold run

kind-down: ## delete the kind cluster
	PATH="$(TOOLS_BIN):$$PATH" kind delete cluster --name faultline

# --- Load and benchmarks: Locust journeys in loadtests/, side-by-side figures from infra/bench ----------------
LOAD_USERS ?= 50
LOAD_TIME ?= 60s
LOAD_ARGS ?=
BENCH_ARGS ?=
# The same FAULTLINE_*_PORT variables `make up` honours point the load at that stack.
LOAD_HOSTS = --host http://127.0.0.1:$(or $(FAULTLINE_CART_PORT),8082) \
	--inventory-host http://127.0.0.1:$(or $(FAULTLINE_INVENTORY_PORT),8083) \
	--order-host http://127.0.0.1:$(or $(FAULTLINE_ORDER_PORT),8081)

CHAOS_DEMO_ARGS ?=

.PHONY: load load-ui load-smoke bench profile chaos-demo

load: bootstrap ## Locust headless on the running stack (LOAD_USERS=50 LOAD_TIME=60s LOAD_ARGS=...); reports/load/<time>/
	@out=reports/load/$$(date -u +%Y%m%dT%H%M%SZ); mkdir -p $$out; \
	$(VENV)/bin/locust --config loadtests/locust.conf --headless --only-summary $(LOAD_HOSTS) \
	  --users $(LOAD_USERS) --run-time $(LOAD_TIME) --csv $$out/load --csv-full-history --html $$out/report.html $(LOAD_ARGS); \
	rc=$$?; echo "make load: CSV and HTML report in $$out"; exit $$rc

load-ui: bootstrap ## Locust's web UI on http://127.0.0.1:8089 against the running stack (LOAD_ARGS=...)
	$(VENV)/bin/locust --config loadtests/locust.conf --web-host 127.0.0.1 $(LOAD_HOSTS) $(LOAD_ARGS)

load-smoke: bootstrap ## CI gate: own stack (ports +500), 20 users 20 s; fails on a failed request, <100 checkouts, verify
	@bash loadtests/smoke.sh

bench: bootstrap ## side-by-side benchmarks on an own stack (ports +600) into docs/benchmarks.md (BENCH_ARGS=...)
	@$(PY) infra/bench/bench.py $(BENCH_ARGS)

profile: bootstrap ## CPU per checkout per process and flame graphs (py-spy) on the bench stack (PROFILE_ARGS=...)
	@$(PY) infra/bench/cpu_profile.py $(PROFILE_ARGS)

# --- chaos experiments (infra/chaos/experiments/*.yaml) against the running stack --------------------------------
.PHONY: chaos chaos-all
EXPERIMENT ?= kill-replica
CHAOS_BACKEND ?= local
CHAOS_ARGS ?=

chaos: bootstrap ## one chaos experiment under load (EXPERIMENT=kill-replica, CHAOS_BACKEND=local|k8s, CHAOS_ARGS=--short)
	@$(FAULTLINE) chaos run $(EXPERIMENT) --backend $(CHAOS_BACKEND) $(CHAOS_ARGS)

chaos-all: bootstrap ## every chaos experiment in turn, then their verdicts, a table of their figures and report paths (CHAOS_ARGS=--short)
	@set -o pipefail; log=$$(mktemp); failed=0; \
	for experiment in $$($(FAULTLINE) chaos list | cut -d' ' -f1); do \
	  $(FAULTLINE) chaos run $$experiment --backend $(CHAOS_BACKEND) $(CHAOS_ARGS) | tee -a $$log || failed=1; \
	done; echo; grep -E '^(PASS|FAIL|ABORTED):|^report:' $$log; echo; \
	reports=$$(sed -n 's/^report: //p' $$log); [ -z "$$reports" ] || $(FAULTLINE) chaos table $$reports; \
	rm -f $$log; exit $$failed

chaos-demo: bootstrap ## Locust shoppers while chaos kills a replica of each service, then Kafka 20 s; plots, verify (make up first)
	@$(PY) loadtests/chaos_demo.py $(CHAOS_DEMO_ARGS)

# --- a real single-node Kubernetes on this machine, without Docker (infra/cluster, faultline cluster ...) --------
.PHONY: cluster-up cluster-down cluster-deploy cluster-forward cluster-test
FORWARD_ARGS ?=
CLUSTER_TEST_ARGS ?=

cluster-up: bootstrap ## build (once) and start Kubernetes 1.34 here: etcd, control plane, containerd, CoreDNS, storage, NetworkPolicies
	@bash infra/cluster/bootstrap.sh
	@$(FAULTLINE) cluster up

cluster-down: ## stop the cluster; remove its processes, bridge, routes, rules, mounts and cgroups
	@if [ -x $(FAULTLINE) ]; then $(FAULTLINE) cluster down; else echo "nothing to stop (no $(VENV))"; fi

cluster-deploy: bootstrap images infra-images ## build and import every image the chart names, helm upgrade --install, wait until Ready
	@$(FAULTLINE) cluster deploy

cluster-forward: ## port-forward 8081-8084, Mailpit and the trace UI as skaffold run --port-forward (FORWARD_ARGS=--stop)
	@$(FAULTLINE) cluster forward $(FORWARD_ARGS)

cluster-test: bootstrap ## tests/cluster against the real cluster (starts it when down, stops what it started)
	$(PY) -m pytest $(CLUSTER_TEST_ARGS) tests/cluster
