#!/usr/bin/env bash
# Imports images from podman's storage into containerd's k8s.io namespace (the one the kubelet's CRI uses), under
# the names pods ask for: `podman save IMAGE | ctr -n k8s.io images import -`.
#
# Usage: import.sh [IMAGE...]; without arguments, every image of INFRA_IMAGES (lib.sh) and the five images
# `make images` builds (faultline/<name>:<tag>: the four services and the console). Short names are normalised
# as the kubelet does (redis:7.0.15 -> docker.io/library/redis:7.0.15, faultline/order:0.1.0 ->
# docker.io/faultline/order:0.1.0); an image podman keeps as localhost/<name> (how `podman build -t
# faultline/order:0.1.0` names it) is imported as docker.io/<name>.
# CONTAINERD_ADDRESS picks the socket (default /run/containerd/containerd.sock); CONTAINERD_NAMESPACE the
# namespace (default k8s.io). containerd must be running.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export CONTAINERD_ADDRESS="${CONTAINERD_ADDRESS:-/run/containerd/containerd.sock}"
NAMESPACE="${CONTAINERD_NAMESPACE:-k8s.io}"

# The fully qualified name the kubelet pulls for a reference written in a manifest.
normalise() {
  local reference="$1" first="${1%%/*}"
  if [[ "$reference" != */* ]]; then
    printf 'docker.io/library/%s' "$reference"
  elif [[ "$first" == *.* || "$first" == *:* || "$first" == localhost ]]; then
    printf '%s' "$reference"
  else
    printf 'docker.io/%s' "$reference"
  fi
}

import_one() {
  local target source start elapsed
  target="$(normalise "$1")"
  target="${target/#localhost\//docker.io/}"
  if podman image exists "$target"; then
    source="$target"
  elif podman image exists "localhost/${target#docker.io/}"; then
    source="localhost/${target#docker.io/}"
  else
    die "$1 is not in podman's storage (as $target or localhost/${target#docker.io/}): build it first"
  fi
  start=$(date +%s%N)
  podman save --format docker-archive "$source" | ctr -n "$NAMESPACE" images import - >/dev/null \
    || die "importing $source into containerd ($CONTAINERD_ADDRESS) failed"
  if [[ "$source" != "$target" ]]; then
    ctr -n "$NAMESPACE" images tag --force "$source" "$target" >/dev/null
    ctr -n "$NAMESPACE" images rm "$source" >/dev/null
  fi
  # grep reads to the end (no -q): with pipefail, an early exit would SIGPIPE ctr and fail the check.
  ctr -n "$NAMESPACE" images ls -q | grep -xF "$target" >/dev/null || die "$target is not in containerd after the import"
  elapsed=$(( ($(date +%s%N) - start) / 100000000 ))
  printf '%-58s %7ss\n' "$target" "$((elapsed / 10)).$((elapsed % 10))"
}

main() {
  require_podman
  command -v ctr >/dev/null || die "ctr is missing: apt-get install containerd"
  ctr version >/dev/null 2>&1 || die "containerd does not answer on $CONTAINERD_ADDRESS"
  local images=("$@") line service
  if [[ ${#images[@]} -eq 0 ]]; then
    for line in "${INFRA_IMAGES[@]}"; do images+=("${line#* }"); done
    for service in "${SERVICE_IMAGES[@]}"; do images+=("$(image_name "$service")"); done
  fi
  printf '%-58s %8s\n' "imported into containerd ($NAMESPACE)" time
  local image
  for image in "${images[@]}"; do import_one "$image"; done
}

main "$@"
