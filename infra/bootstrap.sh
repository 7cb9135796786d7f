#!/usr/bin/env bash
# Installs what the local stack and the tests need, once: apt packages, the Kafka class path and the Zipkin server
# (Maven), Go tools, Mailpit with its web UI, the OpenTelemetry Collector, and the Python venv at <repo>/.venv.
# Idempotent and cached; prints nothing when all is in place.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${FAULTLINE_CACHE:-$HOME/.cache/faultline}"
VENV="$ROOT/.venv"
PYTHON="${FAULTLINE_PYTHON:-python3.11}"
KAFKA_POM="$ROOT/infra/kafka/pom.xml"

# Go tools installed into $CACHE/bin: one line each, "<binary> <package>@<version>"; the command `go install`
# builds (named after the package's last element) is installed under <binary>.
GO_TOOLS=(
  # The fault proxy the chaos experiments cut and slow connections with (cart -> inventory, cart -> order).
  "toxiproxy-server github.com/Shopify/toxiproxy/v2/cmd/server@v2.12.0"
  # tests/deploy lints and renders the chart with helm; `make kind-up` runs kind (its cluster needs Docker).
  # skaffold (`make deploy`) is not here: its module is not served by the Go proxy, so users install it.
  "helm helm.sh/helm/v3/cmd/helm@v3.22.0"
  "kind sigs.k8s.io/kind@v0.33.0"
)

# Mailpit, built with its web UI: `go install` embeds no frontend (the page at / stays blank), so bootstrap builds
# it the way Mailpit's own Dockerfile does: `npm ci` + `npm run package` (esbuild writes server/ui/dist), then
# `go build`, which embeds server/ui. Cached in $CACHE/mailpit-<version>/, rebuilt only when the version changes.
MAILPIT_MODULE="github.com/axllent/mailpit"
MAILPIT_VERSION="v1.33.1"
# "<package>=<version>" set in Mailpit's package.json before npm install: versions its lock names that the npm
# registry does not serve. rapidoc (the viewer of Mailpit's API docs page) is served up to 9.3.8, the lock has 12.1.0.
MAILPIT_NPM_OVERRIDES=("rapidoc=9.3.8")
ZIPKIN_POM="$ROOT/infra/zipkin/pom.xml"
OTELCOL_MANIFEST="$ROOT/infra/otel-collector/builder-config.yaml"

# Debian packages that provide a binary the stack runs: "<binary> <package>".
APT_TOOLS=(
  "redis-server redis-server"
  "redis-cli redis-tools"
  "haproxy haproxy"
  # tests/browser: Playwright drives Debian's Chromium (it cannot download its own browser builds here).
  "chromium chromium"
)

# The Python projects installed (editable) into the venv; a missing one is skipped. The services come from the
# one list (infra/ops/faultline_ops/services.py).
mapfile -t SERVICE_PROJECTS < <(PYTHONPATH="$ROOT/infra/ops" "$PYTHON" -m faultline_ops.services --console --paths 2>/dev/null)
PY_PROJECTS=(services/kit "${SERVICE_PROJECTS[@]}" infra/ops)

say() { printf 'bootstrap: %s\n' "$*"; }
die() { printf 'bootstrap: error: %s\n' "$*" >&2; exit 1; }

hash_files() { cat "$@" 2>/dev/null | sha256sum | cut -d' ' -f1; }

require_toolchains() {
  command -v java >/dev/null || die "java (JDK 17 or newer) is missing: install openjdk-17-jdk-headless"
  local java_major
  java_major="$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)"
  [[ "${java_major:-0}" -ge 17 ]] || die "Kafka needs Java 17 or newer, found Java ${java_major:-unknown}"
  command -v mvn >/dev/null || die "mvn (Apache Maven) is missing: install maven"
  command -v go >/dev/null || die "go is missing: install Go 1.24 or newer from the Go distribution"
  command -v "$PYTHON" >/dev/null || die "$PYTHON is missing: install Python 3.11 (or set FAULTLINE_PYTHON)"
}

install_apt_packages() {
  local missing=() line binary package
  for line in "${APT_TOOLS[@]}"; do
    read -r binary package <<<"$line"
    command -v "$binary" >/dev/null || missing+=("$package")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  local sudo=()
  if [[ "$(id -u)" -ne 0 ]]; then
    sudo -n true 2>/dev/null || die "missing Debian packages: ${missing[*]}; not root and no passwordless sudo, so run: sudo apt-get install -y ${missing[*]}"
    sudo=(sudo -n)
  fi
  say "apt-get install ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

kafka_version() {
  sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$KAFKA_POM" | head -n1
}

install_kafka_classpath() {
  local version dir stamp want
  version="$(kafka_version)"
  [[ -n "$version" ]] || die "no <kafka.version> in $KAFKA_POM"
  dir="$CACHE/kafka-$version"
  stamp="$dir/.pom.sha256"
  want="$(hash_files "$KAFKA_POM")"
  [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -d "$dir/libs" ]] && return 0
  say "assembling Kafka $version class path in $dir/libs (Maven)"
  rm -rf "$dir/libs"
  mkdir -p "$dir"
  # Debian's Maven prints stray colour codes even with -q: strip them, keep its exit status (pipefail).
  mvn -q -B -Dstyle.color=never -f "$KAFKA_POM" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$dir/libs" 2>&1 | sed 's/\x1b\[[0-9;]*m//g'
  ls "$dir"/libs/kafka_2.13-"$version".jar >/dev/null 2>&1 || die "Maven did not produce kafka_2.13-$version.jar in $dir/libs"
  echo "$want" >"$stamp"
}

# Installs every "<binary> <package>@<version>" line of GO_TOOLS into ${1:-$CACHE/bin}.
install_go_tools() {
  local bin="${1:-$CACHE/bin}" line binary spec package version target build info
  mkdir -p "$bin"
  for line in "${GO_TOOLS[@]}"; do
    read -r binary spec <<<"$line"
    package="${spec%@*}"
    version="${spec#*@}"
    target="$bin/$binary"
    # The binary records the package and module version it was built from; reinstall only when they differ.
    info="$(go version -m "$target" 2>/dev/null || true)"
    if [[ -x "$target" ]] && grep -qE "^[[:space:]]+path[[:space:]]+$package$" <<<"$info" \
        && grep -qE "^[[:space:]]+mod[[:space:]]+[^[:space:]]+[[:space:]]+$version([[:space:]]|$)" <<<"$info"; then
      continue
    fi
    say "go install $spec (into $target)"
    build="$(mktemp -d)"
    GOBIN="$build" go install ${GO_INSTALL_FLAGS:-} "$spec"
    mv -f "$build/${package##*/}" "$target"
    rm -rf "$build"
  done
}

install_mailpit() {
  local dir="$CACHE/mailpit-$MAILPIT_VERSION" build src override
  [[ -x "$dir/mailpit" && -f "$dir/.built-with-ui" ]] && return 0
  command -v npm >/dev/null || die "npm is missing: install Node.js 20 or newer (Mailpit's web UI is built with it)"
  say "building Mailpit $MAILPIT_VERSION with its web UI (go mod download, npm install, esbuild, go build; once)"
  build="$(mktemp -d)"
  # The module source carries the UI sources, package.json and package-lock.json; the module cache is read-only.
  src="$(cd "$build" && go mod download -json "$MAILPIT_MODULE@$MAILPIT_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [[ -d "$src" ]] || die "go mod download $MAILPIT_MODULE@$MAILPIT_VERSION gave no source folder"
  cp -R "$src" "$build/src"
  chmod -R u+w "$build/src"
  (
    cd "$build/src"
    for override in "${MAILPIT_NPM_OVERRIDES[@]}"; do
      npm pkg set "overrides.${override%%=*}=${override#*=}" "dependencies.${override%%=*}=${override#*=}"
    done
    # Everything else as the lock pins it; --omit=peer skips sass-embedded, an optional peer of the sass plugin
    # (the build uses `sass`) whose locked version the registry does not serve.
    npm install --omit=peer --no-audit --no-fund --loglevel=error --cache "$CACHE/npm" >/dev/null
    npm run --silent package >/dev/null
    [[ -s server/ui/dist/app.js && -s server/ui/dist/app.css ]] || die "npm run package wrote no server/ui/dist/app.{js,css}"
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X $MAILPIT_MODULE/config.Version=$MAILPIT_VERSION" -o "$build/mailpit" .
  )
  mkdir -p "$dir"
  mv -f "$build/mailpit" "$dir/mailpit"
  rm -rf "$build"
  touch "$dir/.built-with-ui"
}

zipkin_version() {
  sed -n 's:.*<zipkin.version>\(.*\)</zipkin.version>.*:\1:p' "$ZIPKIN_POM" | head -n1
}

# The Zipkin server's executable jar (Lens UI inside), fetched by Maven into $CACHE/zipkin-<version>/.
install_zipkin() {
  local version dir stamp want
  version="$(zipkin_version)"
  [[ -n "$version" ]] || die "no <zipkin.version> in $ZIPKIN_POM"
  dir="$CACHE/zipkin-$version"
  stamp="$dir/.pom.sha256"
  want="$(hash_files "$ZIPKIN_POM")"
  [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -s "$dir/zipkin-server-$version-exec.jar" ]] && return 0
  say "fetching the Zipkin $version server into $dir (Maven)"
  mkdir -p "$dir"
  mvn -q -B -Dstyle.color=never -f "$ZIPKIN_POM" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$dir" 2>&1 | sed 's/\x1b\[[0-9;]*m//g'
  [[ -s "$dir/zipkin-server-$version-exec.jar" ]] || die "Maven did not produce zipkin-server-$version-exec.jar in $dir"
  echo "$want" >"$stamp"
}

# The OpenTelemetry Collector between the services and Zipkin, built with the Collector Builder (ocb) of the
# manifest's version from the manifest's components only; rebuilt when the manifest changes.
install_otel_collector() {
  local version dir stamp want build
  version="$(sed -n 's/^[[:space:]]*version:[[:space:]]*\([0-9.]*\).*/\1/p' "$OTELCOL_MANIFEST" | head -n1)"
  [[ -n "$version" ]] || die "no dist version in $OTELCOL_MANIFEST"
  dir="$CACHE/otelcol-$version"
  stamp="$dir/.manifest.sha256"
  want="$(hash_files "$OTELCOL_MANIFEST")"
  [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -x "$dir/otelcol-faultline" ]] && return 0
  say "building the OpenTelemetry Collector $version (ocb; a few minutes, once)"
  build="$(mktemp -d)"
  GOBIN="$build" go install "go.opentelemetry.io/collector/cmd/builder@v$version"
  cp "$OTELCOL_MANIFEST" "$build/manifest.yaml"
  (cd "$build" && ./builder --config manifest.yaml >"$build/builder.log" 2>&1) \
    || { cat "$build/builder.log" >&2; die "the Collector Builder failed (log above)"; }
  mkdir -p "$dir"
  mv -f "$build/dist/otelcol-faultline" "$dir/otelcol-faultline"
  rm -rf "$build"
  echo "$want" >"$stamp"
}

existing_projects() {
  local project
  for project in "${PY_PROJECTS[@]}"; do
    [[ -f "$ROOT/$project/pyproject.toml" ]] && printf '%s\n' "$project"
  done
}

install_venv() {
  local projects=() inputs=() stamp want project args=()
  mapfile -t projects < <(existing_projects)
  inputs=("$ROOT/services/constraints.txt" "$ROOT/infra/requirements-dev.txt")
  for project in "${projects[@]}"; do inputs+=("$ROOT/$project/pyproject.toml"); done
  stamp="$VENV/.faultline-stamp"
  want="$( { printf '%s\n' "${projects[@]}"; hash_files "${inputs[@]}"; } | sha256sum | cut -d' ' -f1)"
  if [[ -x "$VENV/bin/python" ]] && "$VENV/bin/python" -c '' 2>/dev/null; then
    [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && return 0
  else
    say "creating $VENV with $PYTHON"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
  fi
  for project in "${projects[@]}"; do args+=(-e "$ROOT/$project"); done
  say "pip install into .venv (${projects[*]:-no projects yet})"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
    -c "$ROOT/services/constraints.txt" -r "$ROOT/infra/requirements-dev.txt" "${args[@]}"
  echo "$want" >"$stamp"
}

main() {
  mkdir -p "$CACHE"
  # One bootstrap at a time per cache (make up and make test may start together).
  exec 9>"$CACHE/.bootstrap.lock"
  flock 9
  require_toolchains
  install_apt_packages
  install_kafka_classpath
  install_go_tools
  install_mailpit
  install_zipkin
  install_otel_collector
  install_venv
}

# Sourced by infra/cluster/bootstrap.sh for its helpers; run, it installs the local stack's needs.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
