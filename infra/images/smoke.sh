#!/usr/bin/env bash
# `make images-smoke`: runs the images built by `make images` against the local stack's Kafka, Redis and
# Mailpit, kills one container mid-run, and checks `faultline verify` (see smoke.py for the steps).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_podman
for service in "${SERVICES[@]}"; do
  podman image exists "$(image_name "$service")" || die "$(image_name "$service") is missing: run make images first"
done
exec "$ROOT/.venv/bin/python" "$IMAGES_DIR/smoke.py" --image-repo "$IMAGE_REPO" --image-tag "$IMAGE_TAG" "$@"
