#!/usr/bin/env bash
# Shared by the image and testbed scripts: a Debian rootfs made with debootstrap (no registry is
# reachable, so nothing is pulled), cached as a tarball and imported into the local Docker engine.
#
# One rootfs serves both the session image and the testbed hosts: the package list is their union,
# so a machine debootstraps once. Its hash (suite + packages + this file's recipe version) names
# the cache file and the imported image, so a changed list builds a new one and never reuses a
# stale one.
set -euo pipefail

OUTPOST_CACHE_DIR="${OUTPOST_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/outpost}"
OUTPOST_SUITE="${OUTPOST_SUITE:-bookworm}"
OUTPOST_MIRROR="${OUTPOST_MIRROR:-http://deb.debian.org/debian}"
ROOTFS_RECIPE=1
ROOTFS_PACKAGES=(
  # session image (chromium-driver: the testbed's appliances serve WebDriver; ffmpeg: they record)
  chromium chromium-driver xvfb x11vnc ffmpeg fonts-dejavu-core tini
  # testbed hosts: systemd, ssh for Ansible, what update.sh and the roles use
  systemd systemd-sysv dbus openssh-server sudo python3 python3-apt cron curl ca-certificates
  iproute2 iputils-ping procps openssl jq gzip tar util-linux wireguard-tools wireguard-go
  # testbed tests: xwininfo tries a session's X display as another user (ansible/tests/deploy.int.test.ts)
  x11-utils
  # testbed hosts: the fleet role's PostgreSQL and what its community.postgresql tasks import
  # (ansible/tests/fleet-cluster.int.test.ts); the testbed image leaves the service disabled
  postgresql python3-psycopg2
)

log() { printf '[images] %s\n' "$*" >&2; }

rootfs_hash() {
  printf '%s\n' "$OUTPOST_SUITE" "$ROOTFS_RECIPE" "${ROOTFS_PACKAGES[@]}" | sha256sum | cut -c1-12
}

rootfs_image() { echo "outpost-rootfs:$(rootfs_hash)"; }

ensure_dockerd() {
  if docker info >/dev/null 2>&1; then return 0; fi
  if [[ $(id -u) -ne 0 ]] || ! command -v dockerd >/dev/null; then
    log "the Docker engine is not running (start dockerd, or run as root to let this script start it)"
    return 1
  fi
  log "starting dockerd"
  nohup dockerd >/tmp/outpost-dockerd.log 2>&1 &
  for _ in $(seq 1 120); do
    docker info >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  log "dockerd did not come up; see /tmp/outpost-dockerd.log"
  return 1
}

# Builds (or reuses) the cached rootfs tarball and prints its path.
ensure_rootfs_tar() {
  local hash tar tmp
  hash="$(rootfs_hash)"
  tar="$OUTPOST_CACHE_DIR/rootfs-$OUTPOST_SUITE-$hash.tar"
  if [[ -s "$tar" ]]; then
    echo "$tar"
    return 0
  fi
  command -v debootstrap >/dev/null || { log "debootstrap is not installed (apt-get install debootstrap)"; return 1; }
  [[ $(id -u) -eq 0 ]] || { log "debootstrap needs root"; return 1; }
  mkdir -p "$OUTPOST_CACHE_DIR"
  tmp="$(mktemp -d "$OUTPOST_CACHE_DIR/rootfs.XXXXXX")"
  # shellcheck disable=SC2064 # expand now: $tmp is local
  trap "umount '$tmp/root/var/cache/apt/archives' 2>/dev/null || true; umount '$tmp/root/proc' 2>/dev/null || true; rm -rf '$tmp'" RETURN
  log "debootstrap $OUTPOST_SUITE, then ${#ROOTFS_PACKAGES[@]} packages, into $tmp (first time only; a few minutes)"
  # debootstrap itself only lays down minbase: its own configure loop trips over packages such as
  # dconf-service, which apt, run inside the chroot, orders correctly.
  # The host's apt archive holds the .debs of everything npm test installed on the host (chromium,
  # xvfb, …): reusing it saves most of the downloads.
  local debs=/var/cache/apt/archives
  local cache_args=()
  [[ -d "$debs" && -w "$debs" ]] && cache_args=(--cache-dir="$debs")
  debootstrap --variant=minbase "${cache_args[@]}" "$OUTPOST_SUITE" "$tmp/root" "$OUTPOST_MIRROR" >"$tmp/debootstrap.log" 2>&1 || {
    tail -20 "$tmp/debootstrap.log" >&2
    log "debootstrap failed"
    return 1
  }
  cp /etc/resolv.conf "$tmp/root/etc/resolv.conf"
  # No daemons may start inside the chroot while packages install.
  printf '#!/bin/sh\nexit 101\n' >"$tmp/root/usr/sbin/policy-rc.d"
  chmod 755 "$tmp/root/usr/sbin/policy-rc.d"
  mount -t proc proc "$tmp/root/proc"
  if [[ ${#cache_args[@]} -gt 0 ]]; then mount --bind "$debs" "$tmp/root/var/cache/apt/archives"; fi
  local rc=0
  chroot "$tmp/root" env DEBIAN_FRONTEND=noninteractive LC_ALL=C apt-get install -y -q --no-install-recommends \
    -o Dpkg::Use-Pty=0 "${ROOTFS_PACKAGES[@]}" >>"$tmp/debootstrap.log" 2>&1 || rc=$?
  if [[ ${#cache_args[@]} -gt 0 ]]; then umount "$tmp/root/var/cache/apt/archives"; fi
  umount "$tmp/root/proc"
  if [[ $rc -ne 0 ]]; then
    tail -20 "$tmp/debootstrap.log" >&2
    log "installing packages into the rootfs failed"
    return 1
  fi
  rm -f "$tmp/root/usr/sbin/policy-rc.d"
  : >"$tmp/root/etc/resolv.conf"
  rm -rf "$tmp/root/var/cache/apt/archives/"*.deb "$tmp/root/var/lib/apt/lists/"* "$tmp/root/tmp/"*
  tar -C "$tmp/root" --numeric-owner -cf "$tar.part" .
  mv "$tar.part" "$tar"
  log "cached $tar ($(du -h "$tar" | cut -f1))"
  echo "$tar"
}

# Imports the rootfs into Docker (once per hash) and prints the image name.
ensure_rootfs_image() {
  local image tar
  image="$(rootfs_image)"
  if docker image inspect "$image" >/dev/null 2>&1; then
    echo "$image"
    return 0
  fi
  tar="$(ensure_rootfs_tar)"
  log "importing $tar as $image"
  docker import "$tar" "$image" >/dev/null
  echo "$image"
}
