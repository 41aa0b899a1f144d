#!/usr/bin/env bash
# Switches the appliance back to the previous release and restarts it (run as root on a device).
#
# usage: rollback.sh [version]   default: the previous version recorded by update.sh, else the
#                                newest other release in /opt/outpost/releases
# exit:  0 rolled back and healthy; 1 nothing to roll back to / bad usage; 2 an update run holds
#        the lock; 4 the previous release did not come up healthy (switched back again)
set -euo pipefail
ROOT="${OUTPOST_ROOT:-/opt/outpost}"
ETC="${OUTPOST_ETC:-/etc/outpost}"
STATE_DIR="${OUTPOST_STATE_DIR:-/var/lib/outpost}"
SERVICE="${OUTPOST_SERVICE:-outpost-device}"
# shellcheck disable=SC1091
[[ -r "$ETC/device.env" ]] && { set -a; . "$ETC/device.env"; set +a; }
PORT="${OUTPOST_PORT:-8080}"
HEALTH_TIMEOUT="${OUTPOST_UPDATE_HEALTH_TIMEOUT_S:-60}"
STATE="$STATE_DIR/update-state.json"

log() {
  printf 'outpost-rollback: %s\n' "$*" >&2
  logger -t outpost-rollback -- "$*" 2>/dev/null || true
}

exec 9>"$STATE_DIR/update.lock"
flock -n 9 || { log "an update run is in progress"; exit 2; }

current="$(basename "$(readlink "$ROOT/current")")"
target="${1:-}"
if [[ -z "$target" && -s "$STATE" ]]; then target="$(jq -r '.previous_version // empty' "$STATE")"; fi
if [[ -z "$target" || "$target" == "$current" || ! -d "$ROOT/releases/$target" ]]; then
  # The newest other release that has not failed its health check here before.
  failed="$(jq -r '(.failed_versions // [])[]' "$STATE" 2>/dev/null || true)"
  target="$(find "$ROOT/releases" -mindepth 1 -maxdepth 1 -type d ! -name '.*' ! -name "$current" -printf '%T@ %f\n' | sort -rn | cut -d' ' -f2 |
    grep -vxF -f <(printf '%s\n' "$failed") | head -n1 || true)"
fi
[[ -n "$target" && -d "$ROOT/releases/$target" ]] || { log "no other release to roll back to (running $current)"; exit 1; }

healthy() {
  local deadline=$((SECONDS + HEALTH_TIMEOUT))
  while ((SECONDS < deadline)); do
    [[ "$(curl -fsS --max-time 2 "http://127.0.0.1:$PORT/api/health" 2>/dev/null | jq -r '.version // empty' 2>/dev/null)" == "$1" ]] && return 0
    sleep 1
  done
  return 1
}
switch_to() {
  ln -sfn "releases/$1" "$ROOT/.current.new"
  mv -Tf "$ROOT/.current.new" "$ROOT/current"
  log "switched current to $1"
}

log "rolling back from $current to $target"
switch_to "$target"
systemctl restart "$SERVICE"
if ! healthy "$target"; then
  log "$target did not come up healthy; switching back to $current"
  switch_to "$current"
  systemctl restart "$SERVICE"
  exit 4
fi
tmp="$STATE.tmp.$$"
{ [[ -s "$STATE" ]] && cat "$STATE" || echo '{}'; } |
  jq --arg p "$current" --arg t "$(date -u +%Y-%m-%dT%H:%M:%SZ)" '.previous_version=$p | .last_result="rolled_back" | .last_check=$t | del(.pending)' >"$tmp"
chmod 644 "$tmp"
mv -f "$tmp" "$STATE"
log "rolled back to $target"
