#!/usr/bin/env bash
# Makes sure the base the infrastructure images (infra/images/infra/*/Containerfile) start FROM is in podman's
# local storage: a plain Debian bookworm, since no image can be pulled here.
#
# debootstrap --variant=minbase bookworm (no Python, unlike base.sh's stand-in), with apt sources for bookworm,
# bookworm-updates and bookworm-security so the recipes can pin the versions Debian serves today. The root
# filesystem tarball is cached in $FAULTLINE_CACHE/images; later runs only import it. The image is local only
# (localhost/faultline/debian-base:bookworm), never pushed, never named like an official image.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DEBIAN_MIRROR="${FAULTLINE_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
DEBIAN_SECURITY_MIRROR="${FAULTLINE_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
# Bump DEBIAN_BASE_REVISION (lib.sh) when build_rootfs changes: it names the tarball and the image tag.
ROOTFS_TAR="$CACHE/images/debian-bookworm-minbase-$DEBIAN_BASE_REVISION.tar.gz"

build_rootfs() {
  local rootfs
  rootfs="$(mktemp -d "$CACHE/images/rootfs.XXXXXX")"
  say "debootstrap bookworm (minbase) into $rootfs (a few minutes, once)"
  debootstrap --variant=minbase --include=ca-certificates bookworm "$rootfs" "$DEBIAN_MIRROR" \
    >"$CACHE/images/debootstrap-minbase.log" 2>&1 \
    || die "debootstrap failed; see $CACHE/images/debootstrap-minbase.log"
  cat >"$rootfs/etc/apt/sources.list" <<SOURCES
deb $DEBIAN_MIRROR bookworm main
deb $DEBIAN_MIRROR bookworm-updates main
deb $DEBIAN_SECURITY_MIRROR bookworm-security main
SOURCES
  # As slim container images: no recommends; no docs (but the copyright files), man pages or translations, now
  # or from packages the recipes install later; no package lists or caches.
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$rootfs/etc/apt/apt.conf.d/90faultline"
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/90faultline-slim" <<'EXCLUDES'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EXCLUDES
  find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/log/*.log \
         "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*
  find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
  tar -C "$rootfs" --numeric-owner -czf "$ROOTFS_TAR.part" .
  mv "$ROOTFS_TAR.part" "$ROOTFS_TAR"
  rm -rf "$rootfs"
}

main() {
  require_podman
  podman image exists "$DEBIAN_BASE_IMAGE" && return 0
  mkdir -p "$CACHE/images"
  [[ -f "$ROOTFS_TAR" ]] || build_rootfs
  say "importing $ROOTFS_TAR as $DEBIAN_BASE_IMAGE"
  podman import -q \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["bash"]' \
    --message "Debian bookworm minbase (built by infra/images/debian-base.sh)" \
    "$ROOTFS_TAR" "$DEBIAN_BASE_IMAGE" >/dev/null
}

main "$@"
