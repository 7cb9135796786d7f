#!/usr/bin/env bash
# `make images`: builds faultline/<service>:<tag> (every service in faultline_ops.services) from services/<name>/Dockerfile with podman
# (context services/, as skaffold and docker use it) and faultline/console (context: the repository root), then
# prints each image's size and build time.
#
# Machine-specific, never in the Dockerfiles: the host CA bundle and a pip.conf naming it are mounted into the
# build so pip reaches the package index through this machine's TLS-inspecting proxy; the build runs on the
# host network; the base image comes from base.sh. Usage: build.sh [service...]
# FAULTLINE_IMAGES_REV=<git revision> builds from that commit's services/ instead of the work tree (useful when
# others are mid-edit in a shared checkout).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

build_one() {
  local service="$1" context="${2:-$CONTEXT}" dockerfile="${3:-$CONTEXT/$service/Dockerfile}" start elapsed
  local args=(build --pull=never --network host --layers
              -f "$dockerfile"
              -t "$(image_name "$service")"
              --build-arg "VERSION=$IMAGE_TAG"
              --build-arg "REVISION=$REVISION")
  if [[ -f "$HOST_CA_BUNDLE" ]]; then
    args+=(-v "$HOST_CA_BUNDLE:/etc/ssl/certs/ca-certificates.crt:ro" -v "$PIP_CONF:/etc/pip.conf:ro")
  fi
  start=$(date +%s%N)
  if ! podman "${args[@]}" "$context" >"$LOGS/$service.log" 2>&1; then
    tail -n 30 "$LOGS/$service.log" >&2
    die "building $service failed; full log: $LOGS/$service.log"
  fi
  elapsed=$(( ($(date +%s%N) - start) / 100000000 ))   # tenths of a second
  elapsed="$((elapsed / 10)).$((elapsed % 10))"
  printf '%-10s %-32s %8s MB %7ss\n' "$service" "$(image_name "$service")" \
    "$(( $(podman image inspect --format '{{.Size}}' "$(image_name "$service")") / 1000000 ))" "$elapsed"
}

main() {
  require_podman
  bash "$IMAGES_DIR/base.sh"
  LOGS="$CACHE/images/logs"
  mkdir -p "$LOGS"
  PIP_CONF="$CACHE/images/pip.conf"
  printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' >"$PIP_CONF"
  local service
  CONTEXT="$ROOT/services"
  REVISION="$(git -C "$ROOT" rev-parse --short "${FAULTLINE_IMAGES_REV:-HEAD}" 2>/dev/null || echo unknown)"
  if [[ -n "${FAULTLINE_IMAGES_REV:-}" ]]; then
    CONTEXT="$CACHE/images/context-$REVISION"
    rm -rf "$CONTEXT" && mkdir -p "$CONTEXT"
    git -C "$ROOT" archive "$FAULTLINE_IMAGES_REV" services | tar -x -C "$CONTEXT" --strip-components=1
    # The build recipe (Dockerfiles, .dockerignore) always comes from the work tree.
    cp "$ROOT/services/.dockerignore" "$CONTEXT/"
    for service in "${SERVICES[@]}"; do cp "$ROOT/services/$service/Dockerfile" "$CONTEXT/$service/"; done
    say "building from commit $REVISION (FAULTLINE_IMAGES_REV)"
  fi
  local services=("$@")
  [[ ${#services[@]} -gt 0 ]] || services=("${SERVICE_IMAGES[@]}")
  printf '%-10s %-32s %11s %8s\n' service image size time
  for service in "${services[@]}"; do
    if [[ "$service" == console ]]; then
      # The control room carries infra/ops too: the repository root (work tree) is its context.
      build_one console "$ROOT" "$ROOT/services/console/Dockerfile"
    else
      build_one "$service"
    fi
  done
}

main "$@"
