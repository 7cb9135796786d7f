#!/usr/bin/env bash
# Makes sure the base image every Dockerfile starts FROM (python:3.11-slim-bookworm) is in podman's local storage.
#
# Where it can be pulled, that is all this does. Where no image can be pulled (this project's build machines), it
# builds a stand-in with debootstrap: Debian bookworm (whose python3 is 3.11, the same minor version as the
# official image and the local stack) with python3, venv and CA certificates, the interpreter linked into
# /usr/local/bin where the official image has it, imported under the official name. The root filesystem tarball
# is cached in $FAULTLINE_CACHE/images, so later runs only import it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DEBIAN_MIRROR="${FAULTLINE_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
STANDIN_TAR="$CACHE/images/python-3.11-slim-bookworm-standin.tar.gz"

build_rootfs() {
  command -v debootstrap >/dev/null || die "debootstrap is missing: apt-get install debootstrap"
  local rootfs
  rootfs="$(mktemp -d "$CACHE/images/rootfs.XXXXXX")"
  say "debootstrap bookworm into $rootfs (a few minutes, once)"
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
    bookworm "$rootfs" "$DEBIAN_MIRROR" >"$CACHE/images/debootstrap.log" 2>&1 \
    || die "debootstrap failed; see $CACHE/images/debootstrap.log"
  # The official image's interpreter is /usr/local/bin/python3.11 (also python3 and python): link Debian's there.
  local name
  for name in python3.11 python3 python; do ln -sf /usr/bin/python3.11 "$rootfs/usr/local/bin/$name"; done
  # Like the slim image: no package lists, caches, docs or man pages.
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/log/*.log \
         "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*
  tar -C "$rootfs" --numeric-owner -czf "$STANDIN_TAR.part" .
  mv "$STANDIN_TAR.part" "$STANDIN_TAR"
  rm -rf "$rootfs"
}

main() {
  require_podman
  if podman image exists "$BASE_IMAGE"; then
    return 0
  fi
  if podman pull -q "$BASE_IMAGE" >/dev/null 2>&1; then
    say "pulled $BASE_IMAGE"
    return 0
  fi
  mkdir -p "$CACHE/images"
  [[ -f "$STANDIN_TAR" ]] || build_rootfs
  say "importing the debootstrap stand-in as $BASE_IMAGE"
  podman import -q \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["python3"]' \
    --message "debootstrap stand-in for $BASE_IMAGE (built by infra/images/base.sh)" \
    "$STANDIN_TAR" "$BASE_IMAGE" >/dev/null
}

main "$@"
