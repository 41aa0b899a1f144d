#!/usr/bin/env bash
# Builds the local session image outpost-session:<version> (default: the VERSION file) from the
# cached Debian rootfs, the host's Node runtime and the project's playwright-core. A second build
# with the same inputs is a no-op: the image carries a hash of its inputs as a label.
#
# usage: scripts/images/build-session-image.sh [version]
# exit:  0 built or already current, 1 failure (message on stderr)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck source=scripts/images/lib.sh
source "$here/lib.sh"

version="${1:-$(cat "$root/VERSION")}"
image="outpost-session:$version"
node_bin="$(command -v node)"
pw="$root/node_modules/playwright-core"
[[ -d "$pw" ]] || { log "playwright-core is not installed (npm ci)"; exit 1; }

ensure_dockerd
base="$(ensure_rootfs_image)"
inputs_hash="$(
  {
    echo "$base"
    sha256sum "$node_bin" "$here/session/"* | cut -d' ' -f1
    cat "$pw/package.json"
  } | sha256sum | cut -c1-16
)"
current="$(docker image inspect -f '{{ index .Config.Labels "outpost.inputs" }}' "$image" 2>/dev/null || true)"
if [[ "$current" == "$inputs_hash" ]]; then
  log "$image is current"
  exit 0
fi

ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
cp "$here/session/Dockerfile" "$here/session/entrypoint.mjs" "$here/session/healthcheck.sh" "$ctx/"
cp "$node_bin" "$ctx/node"
mkdir -p "$ctx/node_modules"
cp -r "$pw" "$ctx/node_modules/playwright-core"
log "building $image from $base"
docker build -q --build-arg "ROOTFS_IMAGE=$base" --label "outpost.inputs=$inputs_hash" --label "outpost.version=$version" -t "$image" "$ctx" >/dev/null
log "built $image"
