#!/usr/bin/env bash
# Shared by infra/images/*.sh: where things live, how podman is called, and small helpers.
# Sourced, not run.

IMAGES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$IMAGES_DIR/../.." && pwd)"
CACHE="${FAULTLINE_CACHE:-$HOME/.cache/faultline}"
# The shop's services and every image `make images` builds, from the one list (infra/ops/faultline_ops/services.py).
mapfile -t SERVICES < <(PYTHONPATH="$ROOT/infra/ops" python3 -m faultline_ops.services)
mapfile -t SERVICE_IMAGES < <(PYTHONPATH="$ROOT/infra/ops" python3 -m faultline_ops.services --console)
[[ ${#SERVICES[@]} -gt 0 ]] || { echo "infra/images: cannot read the service list (python3 -m faultline_ops.services)" >&2; exit 1; }
# The tag every Dockerfile starts FROM; on a machine that cannot pull it, base.sh builds a stand-in under this name.
BASE_IMAGE="docker.io/library/python:3.11-slim-bookworm"
# What the infrastructure images (infra/images/infra/*) start FROM: Debian bookworm from debian-base.sh, local only.
DEBIAN_BASE_REVISION=r2
DEBIAN_BASE_IMAGE="localhost/faultline/debian-base:bookworm-$DEBIAN_BASE_REVISION"
# Local image names: the same repositories skaffold.yaml builds and the chart's ci values use.
IMAGE_REPO="${FAULTLINE_IMAGE_REPO:-faultline}"
# Default tag: the chart's appVersion, which is also the tag the chart (and k8s/manifests) deploy by default.
IMAGE_TAG="${FAULTLINE_IMAGE_TAG:-$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$ROOT/charts/faultline/Chart.yaml" 2>/dev/null)}"
IMAGE_TAG="${IMAGE_TAG:-0.1.0}"
HOST_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt

# The infrastructure images the chart names, built here by infra.sh (recipes in infra/images/infra/<name>/):
# "<recipe> <image name and tag, exactly as the chart's values ask for it>". The recipes pin the same versions.
INFRA_IMAGES=(
  "kafka docker.io/apache/kafka:4.3.1"
  "redis docker.io/library/redis:7.0.15"
  "zipkin docker.io/openzipkin/zipkin:3.5.1"
  "mailpit docker.io/axllent/mailpit:v1.33.1"
  "otel-collector docker.io/otel/opentelemetry-collector-contrib:0.148.0"
  "pause registry.k8s.io/pause:3.10"
)

# The image name infra.sh builds for a recipe (empty when there is no such recipe).
infra_image_name() {
  local line recipe image
  for line in "${INFRA_IMAGES[@]}"; do
    read -r recipe image <<<"$line"
    [[ "$recipe" == "$1" ]] && { printf '%s' "$image"; return 0; }
  done
  return 1
}

export CONTAINERS_CONF="$IMAGES_DIR/containers.conf"

say() { printf '%s: %s\n' "$(basename "$0" .sh)" "$*"; }
die() { printf '%s: error: %s\n' "$(basename "$0" .sh)" "$*" >&2; exit 1; }

image_name() { printf '%s/%s:%s' "$IMAGE_REPO" "$1" "$IMAGE_TAG"; }

# Debian packages the image targets need: "<binary> <package>". Installed once, as root, when missing.
IMAGE_TOOLS=("podman podman" "buildah buildah" "runc runc" "debootstrap debootstrap" "gcc gcc" "unzip unzip")

install_image_tools() {
  local missing=() line binary package
  for line in "${IMAGE_TOOLS[@]}"; do
    read -r binary package <<<"$line"
    command -v "$binary" >/dev/null || missing+=("$package")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  [[ "$(id -u)" -eq 0 ]] || die "missing: ${missing[*]}; run as root (rootful podman is what works here) or apt-get install them"
  say "apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

require_podman() {
  install_image_tools
  [[ "$(id -u)" -eq 0 ]] || die "run as root: rootful podman is what works on this kind of machine"
}
