#!/usr/bin/env bash
# make load-smoke: a stack of its own (state in .run/load-smoke, ports 500 above the defaults, so it never meets
# `make up`, the test suite's stack or anyone's +200/+300 stack), 20 shoppers for 20 s, then `faultline verify`.
# Fails when any request fails, when fewer than 100 checkouts complete, or when an invariant does not hold.
# Always stops the stack it started. LOAD_SMOKE_KEEP=1 leaves it running for a look.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BIN="$ROOT/.venv/bin"
USERS="${LOAD_SMOKE_USERS:-20}"
RUN_TIME="${LOAD_SMOKE_TIME:-20s}"
MIN_CHECKOUTS="${LOAD_SMOKE_MIN_CHECKOUTS:-100}"
OUT="${LOAD_SMOKE_REPORTS:-$ROOT/reports/load-smoke/$(date -u +%Y%m%dT%H%M%SZ)}"

export FAULTLINE_HOME="${LOAD_SMOKE_HOME:-$ROOT/.run/load-smoke}"
export FAULTLINE_ORDER_PORT=8581 FAULTLINE_CART_PORT=8582 FAULTLINE_INVENTORY_PORT=8583 FAULTLINE_EMAIL_PORT=8584
export FAULTLINE_KAFKA_PORT=19592 FAULTLINE_KAFKA_CONTROLLER_PORT=19593 FAULTLINE_REDIS_PORT=16879
export FAULTLINE_SMTP_PORT=1525 FAULTLINE_MAILPIT_PORT=8525 FAULTLINE_HAPROXY_STATS_PORT=8904
export FAULTLINE_TOXIPROXY_PORT=8974 FAULTLINE_JAEGER_PORT=17186 FAULTLINE_OTLP_PORT=4818
export FAULTLINE_ADMIN_TOKEN="${FAULTLINE_ADMIN_TOKEN:-local-admin-token}"

say() { printf 'load-smoke: %s\n' "$*"; }

stop_stack() {
  local rc=$?
  if [[ "${LOAD_SMOKE_KEEP:-0}" == "1" ]]; then
    say "stack left running (FAULTLINE_HOME=$FAULTLINE_HOME); stop it with: FAULTLINE_HOME=$FAULTLINE_HOME $BIN/faultline down"
  else
    "$BIN/faultline" down >/dev/null 2>&1 || say "warning: faultline down failed; see $FAULTLINE_HOME/logs"
  fi
  exit "$rc"
}

started=$SECONDS
say "fresh stack in $FAULTLINE_HOME (order :$FAULTLINE_ORDER_PORT, cart :$FAULTLINE_CART_PORT, Kafka :$FAULTLINE_KAFKA_PORT)"
trap stop_stack EXIT
"$BIN/faultline" clean >/dev/null
"$BIN/faultline" up | tail -n 1
say "stack ready after $((SECONDS - started)) s; $USERS users for $RUN_TIME (reports in ${OUT#"$ROOT"/})"
mkdir -p "$OUT"
set +e
"$BIN/locust" --config loadtests/locust.conf --headless --only-summary \
  --host "http://127.0.0.1:$FAULTLINE_CART_PORT" \
  --inventory-host "http://127.0.0.1:$FAULTLINE_INVENTORY_PORT" --order-host "http://127.0.0.1:$FAULTLINE_ORDER_PORT" \
  --users "$USERS" --spawn-rate "$USERS" --run-time "$RUN_TIME" \
  --think-min 0.1 --think-max 0.5 --min-checkouts "$MIN_CHECKOUTS" \
  --csv "$OUT/smoke" --html "$OUT/report.html" >"$OUT/locust.log" 2>&1
load_rc=$?
set -e
# The closing table (requests, failures, SAGA rows, percentiles) and the run's own summary line.
sed -n '/Response time percentiles\|^Type \+Name \+# reqs/,$p' "$OUT/locust.log" | grep -v "^ *$" || true
grep -E "faultline load|Traceback|Error" "$OUT/locust.log" | grep -v "^Type" | tail -n 20 || true
say "locust exited $load_rc after $((SECONDS - started)) s"
verify_rc=0
"$BIN/faultline" verify --wait 60 || verify_rc=$?
say "verify exited $verify_rc; total $((SECONDS - started)) s"
if [[ $load_rc -ne 0 || $verify_rc -ne 0 ]]; then
  say "FAILED (locust $load_rc, verify $verify_rc); the run's log: ${OUT#"$ROOT"/}/locust.log"
  exit 1
fi
say "passed"
