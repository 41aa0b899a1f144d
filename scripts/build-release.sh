#!/usr/bin/env bash
# Builds a self-contained, signed release: outpost-<version>-linux-x64.tar.gz with compiled JS, the
# built web apps, production node_modules, the Node runtime itself (bin/node), VERSION, scripts and
# systemd units; plus <tarball>.sha256 and <tarball>.sha256.sig (ed25519 over the .sha256 file,
# made with openssl). A device needs no build tools and no Node from its distribution.
#
# usage: scripts/build-release.sh [--out DIR] [--version V] [--key PEM]
#        scripts/build-release.sh stage DIR [--version V]     only the release tree
#        scripts/build-release.sh pack DIR [--out DIR] [--key PEM]   tar, checksum and sign a tree
#        scripts/build-release.sh approve-rollback VERSION [--out DIR] [--key PEM]
#            sign off a downgrade: devices refuse to go down to a version they never ran unless
#            <tarball>.rollback.sig (ed25519 over "outpost rollback approved: <tarball name>")
#            is published beside the release
#
# OUTPOST_RELEASE_GZIP_LEVEL (1-9, default 6) trades size for packing time (the tests use 1).
#
# The signing key is per deployment and never in the repo: --key, else $OUTPOST_SIGNING_KEY, else
# ${OUTPOST_KEYS_DIR:-~/.config/outpost/keys}/release-signing.pem, generated (0600) on first use
# next to its public half release-signing.pub, which goes to the devices.
#
# exit: 0 built; 1 usage or a missing tool; 2 the build failed
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
log() { printf '[release] %s\n' "$*" >&2; }
die() { log "$1"; exit "${2:-1}"; }

cmd="build"
if [[ ${1:-} == stage || ${1:-} == pack || ${1:-} == approve-rollback ]]; then cmd="$1"; shift; fi
tree=""
if [[ $cmd != build ]]; then
  tree="${1:-}"
  [[ -n "$tree" ]] || die "usage: $0 $cmd DIR"
  shift
fi
out="$root/artifacts"
version=""
key="${OUTPOST_SIGNING_KEY:-}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --version) version="$2"; shift 2 ;;
    --key) key="$2"; shift 2 ;;
    *) die "unknown argument: $1" ;;
  esac
done
for tool in node npm tar gzip openssl sha256sum; do command -v "$tool" >/dev/null || die "$tool is required"; done

signing_key() {
  if [[ -z "$key" ]]; then
    local dir="${OUTPOST_KEYS_DIR:-$HOME/.config/outpost/keys}"
    key="$dir/release-signing.pem"
    if [[ ! -s "$key" ]]; then
      mkdir -p "$dir"
      chmod 700 "$dir"
      (umask 077 && openssl genpkey -algorithm ed25519 -out "$key")
      openssl pkey -in "$key" -pubout -out "$dir/release-signing.pub"
      log "generated a signing key: $key (public half: $dir/release-signing.pub)"
    fi
  fi
  [[ -s "$key" ]] || die "signing key $key not found"
  echo "$key"
}

stage() {
  local dest="$1"
  local v="${version:-$(cat "$root/VERSION")}"
  [[ "$v" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]] || die "bad version: $v"
  log "building $v"
  (cd "$root" && node scripts/bootstrap.mjs build >&2) || die "build failed" 2
  rm -rf "$dest"
  mkdir -p "$dest/bin"
  cp -r "$root/dist" "$dest/dist"
  rm -f "$dest/dist/.build-stamp"
  find "$dest/dist" -name '*.map' -delete
  cp "$root/package.json" "$root/package-lock.json" "$dest/"
  echo "$v" >"$dest/VERSION"
  mkdir -p "$dest/scripts"
  cp "$root/scripts/update.sh" "$root/scripts/rollback.sh" "$root/scripts/install.sh" "$dest/scripts/"
  cp -r "$root/scripts/lib" "$dest/scripts/lib"
  cp -r "$root/systemd" "$dest/systemd"
  cp "$(command -v node)" "$dest/bin/node"
  # Production dependencies, native addons already built for this very Node binary.
  cp -r "$root/node_modules" "$dest/node_modules"
  (cd "$dest" && npm prune --omit=dev --no-audit --no-fund >/dev/null 2>&1) || die "npm prune failed" 2
  rm -rf "$dest/node_modules/.cache"
  log "staged $dest ($(du -sh "$dest" | cut -f1))"
}

pack() {
  local src="$1"
  local v
  v="$(cat "$src/VERSION")"
  local name="outpost-$v-linux-x64.tar.gz"
  local k
  k="$(signing_key)"
  mkdir -p "$out"
  log "packing $name"
  # Reproducible enough: fixed owner, sorted names; the top directory is the version.
  tar --sort=name --owner=0 --group=0 --numeric-owner -C "$(dirname "$src")" \
    --transform "s,^$(basename "$src"),outpost-$v," -cf - "$(basename "$src")" | gzip "-${OUTPOST_RELEASE_GZIP_LEVEL:-6}" >"$out/$name.part"
  mv "$out/$name.part" "$out/$name"
  (cd "$out" && sha256sum "$name" >"$name.sha256")
  openssl pkeyutl -sign -rawin -inkey "$k" -in "$out/$name.sha256" -out "$out/$name.sha256.sig"
  log "signed $out/$name ($(du -h "$out/$name" | cut -f1))"
  echo "$out/$name"
}

approve_rollback() {
  local v="$1"
  [[ "$v" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]] || die "bad version: $v"
  local name="outpost-$v-linux-x64.tar.gz" k
  k="$(signing_key)"
  mkdir -p "$out"
  local msg
  msg="$(mktemp)"
  printf 'outpost rollback approved: %s\n' "$name" >"$msg"
  openssl pkeyutl -sign -rawin -inkey "$k" -in "$msg" -out "$out/$name.rollback.sig"
  rm -f "$msg"
  log "signed off the rollback to $v: $out/$name.rollback.sig (publish it beside the release)"
  echo "$out/$name.rollback.sig"
}

case "$cmd" in
  stage) stage "$tree" ;;
  approve-rollback) approve_rollback "$tree" ;;
  pack) pack "$tree" ;;
  build)
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    stage "$work/outpost"
    pack "$work/outpost"
    ;;
esac
