#!/usr/bin/env bash
# `make infra-images`: builds the infrastructure images the chart names (Kafka, Redis, Zipkin, Mailpit, the
# OpenTelemetry Collector, the pod sandbox's pause) with podman, under exactly the names and tags the chart asks
# for (INFRA_IMAGES in lib.sh), from the recipes in infra/images/infra/<recipe>/, then prints each image's size and
# build time. Nothing is pulled: the images start FROM a debootstrap Debian (debian-base.sh), install pinned Debian
# packages, and get their artifacts from Maven Central, the Go module proxy or the project's cache, staged into a
# build context under $FAULTLINE_CACHE/images/context/<recipe>. Usage: infra.sh [recipe...]
# FAULTLINE_IMAGES_NO_CACHE=1 builds every layer again (podman build --no-cache; the staged artifacts stay cached).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RECIPES="$IMAGES_DIR/infra"
JRE_IMAGE="localhost/faultline/jre:17-bookworm"
KAFKA_VERSION=4.3.1
# Zipkin's jar and Mailpit's binary (with its web UI) are the ones bootstrap puts in the cache for the local stack.
ZIPKIN_VERSION="$(sed -n 's:.*<zipkin.version>\(.*\)</zipkin.version>.*:\1:p' "$ROOT/infra/zipkin/pom.xml" | head -n1)"
MAILPIT_VERSION="$(sed -n 's/^MAILPIT_VERSION="\(.*\)"$/\1/p' "$ROOT/infra/bootstrap.sh" | head -n1)"
# The Collector's version is the one its builder manifest pins.
OTELCOL_VERSION="$(sed -n 's/^  version: *\([0-9.]*\)$/\1/p' "$RECIPES/otel-collector/builder-config.yaml")"

# Copies (hard links where it can) $1 to $2.
link_or_copy() { cp -al "$1" "$2" 2>/dev/null || cp -a "$1" "$2"; }

# Debian's Maven prints stray colour codes even with -q: strip them, keep its exit status (pipefail).
mvn_quiet() { mvn -q -B -Dstyle.color=never "$@" 2>&1 | sed 's/\x1b\[[0-9;]*m//g'; }

stage_kafka() {
  local context="$1" dir="$CACHE/images/kafka-image-$KAFKA_VERSION" stamp want
  stamp="$dir/.pom.sha256"
  want="$(sha256sum "$RECIPES/kafka/pom.xml" | cut -d' ' -f1)"
  if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" || ! -d "$dir/libs" ]]; then
    say "assembling the image's Kafka $KAFKA_VERSION class path in $dir/libs (Maven)"
    rm -rf "$dir/libs" && mkdir -p "$dir"
    mvn_quiet -f "$RECIPES/kafka/pom.xml" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$dir/libs"
    [[ -f "$dir/libs/kafka_2.13-$KAFKA_VERSION.jar" ]] || die "Maven did not produce kafka_2.13-$KAFKA_VERSION.jar"
    echo "$want" >"$stamp"
  fi
  link_or_copy "$dir/libs" "$context/libs"
}

stage_zipkin() {
  local context="$1" dir="$CACHE/images/zipkin-$ZIPKIN_VERSION"
  local jar="$CACHE/zipkin-$ZIPKIN_VERSION/zipkin-server-$ZIPKIN_VERSION-exec.jar"
  [[ -s "$jar" ]] || die "$jar is missing: run make bootstrap"
  # The official image runs the application unpacked, not as a jar.
  if [[ ! -d "$dir/unpacked" ]]; then
    rm -rf "$dir/unpacked.part" && mkdir -p "$dir/unpacked.part"
    unzip -q "$jar" -d "$dir/unpacked.part"
    mv "$dir/unpacked.part" "$dir/unpacked"
  fi
  link_or_copy "$dir/unpacked" "$context/zipkin"
}

stage_mailpit() {
  local context="$1" dir="$CACHE/mailpit-$MAILPIT_VERSION"
  [[ -x "$dir/mailpit" && -f "$dir/.built-with-ui" ]] || die "$dir/mailpit (with its web UI) is missing: run make bootstrap"
  cp "$dir/mailpit" "$context/mailpit"
}

stage_otel-collector() {
  local context="$1" dir="$CACHE/images/otelcol-$OTELCOL_VERSION" stamp want
  stamp="$dir/.builder-config.sha256"
  want="$(sha256sum "$RECIPES/otel-collector/builder-config.yaml" | cut -d' ' -f1)"
  if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" || ! -x "$dir/dist/otelcol-contrib" ]]; then
    mkdir -p "$dir"
    if [[ ! -x "$dir/builder" ]]; then
      say "go install go.opentelemetry.io/collector/cmd/builder@v$OTELCOL_VERSION"
      GOBIN="$dir" go install "go.opentelemetry.io/collector/cmd/builder@v$OTELCOL_VERSION"
    fi
    say "building the Collector $OTELCOL_VERSION (a big Go build: many minutes cold; log: $dir/build.log)"
    cp "$RECIPES/otel-collector/builder-config.yaml" "$dir/builder-config.yaml"
    (cd "$dir" && CGO_ENABLED=0 ./builder --config builder-config.yaml --ldflags='-s -w' >build.log 2>&1) \
      || { tail -n 30 "$dir/build.log" >&2; die "the Collector build failed; full log: $dir/build.log"; }
    echo "$want" >"$stamp"
  fi
  cp "$dir/dist/otelcol-contrib" "$context/otelcol-contrib"
}

stage_pause() {
  local context="$1"
  gcc -static -O2 -s -Wall -Wextra -o "$context/pause" "$context/pause.c" \
    || die "gcc -static failed (needs gcc and libc6-dev)"
}

stage_jre() { :; }
stage_redis() { :; }

build_recipe() {
  local recipe="$1" image="$2" context start elapsed
  context="$CACHE/images/context/$recipe"
  rm -rf "$context" && mkdir -p "$(dirname "$context")"
  cp -a "$RECIPES/$recipe" "$context"
  "stage_$recipe" "$context"
  start=$(date +%s%N)
  local cache=(--layers)
  [[ -n "${FAULTLINE_IMAGES_NO_CACHE:-}" ]] && cache=(--no-cache)
  # Docker's image format, as the official images: OCI's drops HEALTHCHECK.
  if ! podman build --pull=never --network host "${cache[@]}" --format docker -f "$context/Containerfile" -t "$image" \
        --build-arg "BASE_IMAGE=$DEBIAN_BASE_IMAGE" --build-arg "JRE_IMAGE=$JRE_IMAGE" \
        "$context" >"$LOGS/$recipe.log" 2>&1; then
    tail -n 30 "$LOGS/$recipe.log" >&2
    die "building $image failed; full log: $LOGS/$recipe.log"
  fi
  elapsed=$(( ($(date +%s%N) - start) / 100000000 ))   # tenths of a second
  printf '%-15s %-58s %6s MB %7ss\n' "$recipe" "$image" \
    "$(( $(podman image inspect --format '{{.Size}}' "$image") / 1000000 ))" "$((elapsed / 10)).$((elapsed % 10))"
}

main() {
  require_podman
  bash "$IMAGES_DIR/debian-base.sh"
  LOGS="$CACHE/images/logs"
  mkdir -p "$LOGS"
  local recipes=("$@") recipe image
  if [[ ${#recipes[@]} -eq 0 ]]; then
    local line
    for line in "${INFRA_IMAGES[@]}"; do recipes+=("${line%% *}"); done
  fi
  printf '%-15s %-58s %9s %8s\n' recipe image size time
  # The Java images start FROM the shared JRE image: build it first when one of them is asked for.
  if printf '%s\n' "${recipes[@]}" | grep -qxE 'kafka|zipkin'; then
    build_recipe jre "$JRE_IMAGE"
  fi
  for recipe in "${recipes[@]}"; do
    image="$(infra_image_name "$recipe")" || die "no such recipe: $recipe (known: ${INFRA_IMAGES[*]%% *})"
    build_recipe "$recipe" "$image"
  done
}

main "$@"
