#!/usr/bin/env bash
# Installs what the local stack and the tests need, once: apt packages, the Kafka class path (Maven),
# Go tools, and the Python venv at <repo>/.venv. Idempotent and cached; prints nothing when all is in place.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${FAULTLINE_CACHE:-$HOME/.cache/faultline}"
VENV="$ROOT/.venv"
PYTHON="${FAULTLINE_PYTHON:-python3.11}"
KAFKA_POM="$ROOT/infra/kafka/pom.xml"

# Go tools installed into $CACHE/bin: one line each, "<binary> <package>@<version>"; the command `go install`
# builds (named after the package's last element) is installed under <binary>.
GO_TOOLS=(
  "mailpit github.com/axllent/mailpit@v1.33.1"
  # The fault proxy the chaos experiments cut and slow connections with (cart -> inventory, cart -> order).
  "toxiproxy-server github.com/Shopify/toxiproxy/v2/cmd/server@v2.12.0"
  # tests/deploy lints and renders the chart with helm; `make kind-up` runs kind (its cluster needs Docker).
  # skaffold (`make deploy`) is not here: its module is not served by the Go proxy, so users install it.
  "helm helm.sh/helm/v3/cmd/helm@v3.22.0"
  "kind sigs.k8s.io/kind@v0.33.0"
)

# Debian packages that provide a binary the stack runs: "<binary> <package>".
APT_TOOLS=(
  "redis-server redis-server"
  "redis-cli redis-tools"
  "haproxy haproxy"
)

# The Python projects installed (editable) into the venv; a missing one is skipped.
PY_PROJECTS=(services/kit services/order services/cart services/inventory services/email infra/ops)

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

install_go_tools() {
  local line binary spec package version target build info
  mkdir -p "$CACHE/bin"
  for line in "${GO_TOOLS[@]}"; do
    read -r binary spec <<<"$line"
    package="${spec%@*}"
    version="${spec#*@}"
    target="$CACHE/bin/$binary"
    # The binary records the package and module version it was built from; reinstall only when they differ.
    info="$(go version -m "$target" 2>/dev/null || true)"
    if [[ -x "$target" ]] && grep -qE "^[[:space:]]+path[[:space:]]+$package$" <<<"$info" \
        && grep -qE "^[[:space:]]+mod[[:space:]]+[^[:space:]]+[[:space:]]+$version([[:space:]]|$)" <<<"$info"; then
      continue
    fi
    say "go install $spec (into $target)"
    build="$(mktemp -d)"
    GOBIN="$build" go install "$spec"
    mv -f "$build/${package##*/}" "$target"
    rm -rf "$build"
  done
}

# Go programs whose module cannot be `go install`ed directly (replace directives): each folder of infra/tools holds
# a go.mod with a `tool` line and its go.sum; `go install tool` there builds it into $CACHE/bin/<folder>.
install_go_module_tools() {
  local dir name version target
  for dir in "$ROOT"/infra/tools/*/; do
    [[ -f "$dir/go.mod" ]] || continue
    name="$(basename "$dir")"
    target="$CACHE/bin/$name"
    version="$(awk '/^tool /{tool=$2} END{print tool}' "$dir/go.mod")"
    # Rebuild when the binary's recorded go.mod hash differs from the folder's (a bumped version changes it).
    if [[ -x "$target" && -f "$target.gomod.sha256" && "$(cat "$target.gomod.sha256")" == "$(hash_files "$dir/go.mod" "$dir/go.sum")" ]]; then
      continue
    fi
    say "go install tool $version (into $CACHE/bin; a large build, once)"
    (cd "$dir" && GOBIN="$CACHE/bin" GOFLAGS=-mod=mod go install tool)
    hash_files "$dir/go.mod" "$dir/go.sum" >"$target.gomod.sha256"
  done
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
  install_go_module_tools
  install_venv
}

main "$@"
