#!/usr/bin/env bash
# make load-smoke: a stack of its own (state in .run/load-smoke, every port 500 above its default, so it never
# meets `make up`, the test suite's stack (+100) or others beside them; LOAD_SMOKE_PORT_OFFSET changes it),
# 20 shoppers for 20 s, then `faultline verify`.
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
# Every port the stack opens (faultline_ops.settings.port_defaults), shifted by the same offset.
OFFSET="${LOAD_SMOKE_PORT_OFFSET:-500}"
eval "$("$BIN/python" - "$OFFSET" <<'PY'
import sys
from faultline_ops.settings import port_defaults
for name, (_, default) in port_defaults().items():
    print(f"export {name}={default + int(sys.argv[1])}")
PY
)"
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
