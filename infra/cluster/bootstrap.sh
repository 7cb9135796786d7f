#!/usr/bin/env bash
# Installs what `make cluster-up` needs, once, into $FAULTLINE_CACHE/cluster: Debian's containerd, runc, CNI
# plugins and netfilter tools; Kubernetes v1.34.4, etcd, CoreDNS, kube-router and local-path-provisioner built
# from the Go module proxy (static); the node's own images (pause, CoreDNS, busybox) built with podman.
# Idempotent and cached; prints nothing when all is in place. The first run builds Kubernetes: ~25-40 min on 2 cores.
set -euo pipefail

CLUSTER_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../bootstrap.sh
source "$CLUSTER_DIR/../bootstrap.sh"
BIN="$CACHE/cluster/bin"

# Debian packages the node needs: "<binary or path> <package>" (replaces bootstrap.sh's list in this script).
APT_TOOLS=(
  "containerd containerd"
  "runc runc"
  "/usr/lib/cni/bridge containernetworking-plugins"
  "ipset ipset"
  "conntrack conntrack"
  "iptables iptables"
  "podman podman"
  "/bin/busybox busybox-static"
)

# Tools whose modules `go install` builds as they are.
GO_TOOLS=(
  "coredns github.com/coredns/coredns@v1.12.4"
  # NetworkPolicies: kube-router's firewall (iptables + ipset) alone. v2.1.0 is the newest version the module
  # proxy serves here.
  "kube-router github.com/cloudnativelabs/kube-router/v2/cmd/kube-router@v2.1.0"
  # The storage provisioner kind ships (StorageClass `standard`); v0.0.30 is the newest the proxy serves here.
  "local-path-provisioner github.com/rancher/local-path-provisioner@v0.0.30"
)

KUBERNETES_TOOLS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl kubeadm)

# Kubernetes' own module has replace directives (to ./staging), so `go install` refuses it: infra/cluster/kubernetes
# is a module of ours that requires it and points each staging module at its release. One `go build` for all seven
# binaries, so the packages they share compile once. The version is stamped as upstream's release builds do.
build_kubernetes() {
  local dir="$CLUSTER_DIR/kubernetes" stamp="$BIN/.kubernetes.sha256" want version ldflags tool missing=0 built
  want="$(hash_files "$dir/go.mod" "$dir/go.sum")"
  # The release go.mod requires (in a require block or on a line of its own); without it the binaries carry an
  # empty version, and kubeadm panics at start ("version string "" doesn't match expected regular expression").
  version="$(awk '$1 == "require" && $2 == "k8s.io/kubernetes" {print $3} $1 == "k8s.io/kubernetes" {print $2}' \
    "$dir/go.mod")"
  [[ "$version" =~ ^v1\.[0-9]+\.[0-9]+$ ]] || die "no k8s.io/kubernetes release in $dir/go.mod (found '$version')"
  for tool in "${KUBERNETES_TOOLS[@]}"; do [[ -x "$BIN/$tool" ]] || missing=1; done
  if [[ $missing -eq 0 && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    built="$("$BIN/kubeadm" version -o short 2>/dev/null)" || built=""
    [[ "$built" == "$version" ]] && return 0
    say "the cached Kubernetes binaries say version '${built:0:40}', not $version: building them again"
  fi
  say "building Kubernetes $version (${KUBERNETES_TOOLS[*]}) into $BIN: a large build, once (~25-40 min on 2 cores)"
  ldflags="-s -w"
  local minor="${version#v1.}"; minor="${minor%%.*}"
  local pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done
  local packages=()
  for tool in "${KUBERNETES_TOOLS[@]}"; do packages+=("k8s.io/kubernetes/cmd/$tool"); done
  (cd "$dir" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "$ldflags" -o "$BIN/" "${packages[@]}")
  built="$("$BIN/kubeadm" version -o short 2>&1)" || die "the kubeadm just built does not start: ${built:0:300}"
  [[ "$built" == "$version" ]] || die "the kubeadm just built says version '$built', not $version"
  echo "$want" >"$stamp"
}

build_etcd() {
  local dir="$CLUSTER_DIR/etcd" stamp="$BIN/.etcd.sha256" want
  want="$(hash_files "$dir/go.mod" "$dir/go.sum" "$dir/main.go")"
  [[ -x "$BIN/etcd" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && return 0
  say "building etcd ($(awk '$1 == "require" && $2 ~ /etcd/ {print $3}' "$dir/go.mod")) into $BIN"
  (cd "$dir" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$BIN/etcd" .)
  echo "$want" >"$stamp"
}

# The node's own images, FROM scratch around a static binary: "<image> <recipe folder> <binary>...".
NODE_IMAGES=(
  "registry.k8s.io/coredns/coredns:v1.12.4 coredns $BIN/coredns"
  "docker.io/library/busybox:1.35.0 busybox /bin/busybox"
)

build_node_images() {
  local line name recipe sources context
  for line in "${NODE_IMAGES[@]}"; do
    read -r name recipe sources <<<"$line"
    local label
    label="$(hash_files "$CLUSTER_DIR/images/$recipe/Containerfile" $sources)"
    if [[ "$(podman image inspect --format '{{index .Labels "dev.faultline.recipe"}}' "$name" 2>/dev/null)" == "$label" ]]; then
      continue
    fi
    say "podman build $name"
    context="$(mktemp -d)"
    cp $sources "$context/"
    podman build --pull=never --network none -q --label "dev.faultline.recipe=$label" -t "$name" \
      -f "${CLUSTER_DIR}/images/$recipe/Containerfile" "$context" >/dev/null
    rm -rf "$context"
  done
}

cluster_main() {
  mkdir -p "$BIN"
  exec 8>"$CACHE/.cluster-bootstrap.lock"
  flock 8
  command -v go >/dev/null || die "go is missing: install Go 1.24 or newer"
  # bootstrap.sh's installer, over this list (a full path is checked as a file: `command -v` takes paths too).
  install_apt_packages
  build_kubernetes
  build_etcd
  GO_INSTALL_FLAGS="-trimpath -ldflags=-s -ldflags=-w" CGO_ENABLED=0 install_go_tools "$BIN"
  build_node_images
  # The pod sandbox image is one of the chart's infra images (infra/images builds it for `make infra-images` too).
  podman image exists registry.k8s.io/pause:3.10 || bash "$ROOT/infra/images/infra.sh" pause
}

cluster_main "$@"
