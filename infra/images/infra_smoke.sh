#!/usr/bin/env bash
# `make infra-images-smoke`: runs each image `make infra-images` built the way the chart runs it and checks that it
# really works (see infra_smoke.py for the checks). Usage: infra_smoke.sh [check...]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_podman
for line in "${INFRA_IMAGES[@]}"; do
  image="${line#* }"
  podman image exists "$image" || die "$image is missing: run make infra-images first"
done
[[ -x "$ROOT/.venv/bin/python" ]] || die "no .venv: run make bootstrap first"
export HELM="${HELM:-$CACHE/bin/helm}"
exec "$ROOT/.venv/bin/python" "$IMAGES_DIR/infra_smoke.py" "$@"
