#!/usr/bin/env bash
# Switches the appliance back to the previous release and restarts it (run as root on a device).
# An operator's act: it may go to any release already on the device, older or not.
#
# usage: rollback.sh [version]   default: the previous version recorded by update.sh, else the
#                                newest other release in /opt/outpost/releases that has not
#                                failed its health check here
# exit:  0 rolled back and healthy; 1 nothing to roll back to / bad usage; 2 an update run holds
#        the lock; 4 the previous release did not come up healthy (switched back again)
#
# Like update.sh it trusts only root's files: state and lock in $OUTPOST_UPDATE_DIR, device.env
# read as data, every version checked before it becomes a path.
# shellcheck disable=SC2016
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib/update-common.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib/update-common.sh"

log() {
  printf 'outpost-rollback: %s\n' "$*" >&2
  logger -t outpost-rollback -- "[$RUN_ID] $*" 2>/dev/null || true
}

read_env_file "$ETC/device.env"
read_env_file "$ETC/update.env"
HEALTH_TIMEOUT="${OUTPOST_UPDATE_ROLLBACK_TIMEOUT_S:-120}"

ensure_update_dir || exit 1
take_lock || { log "an update run is in progress"; exit 2; }

current="$(current_version)"
target="${1:-}"
if [[ -n "$target" ]] && ! valid_version "$target"; then log "not a version: $target"; exit 1; fi
if [[ -z "$target" ]]; then target="$(state_get .previous_version)"; fi
if ! release_complete "$target" || [[ "$target" == "$current" ]]; then
  [[ -z "${1:-}" ]] || { log "release $target is not installed here (or is the running one)"; exit 1; }
  # The newest other release that has not failed its health check here before.
  failed="$(state_get '(.failed_versions // [])[]')"
  target=""
  for r in $(find "$ROOT/releases" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%T@ %f\n' | sort -rn | cut -d' ' -f2); do
    if [[ "$r" != "$current" ]] && release_complete "$r" && ! grep -qxF "$r" <<<"$failed"; then target="$r"; break; fi
  done
fi
release_complete "$target" || { log "no other release to roll back to (running ${current:-nothing})"; exit 1; }

log "rolling back from ${current:-nothing} to $target"
switch_to "$target"
systemctl restart "$SERVICE"
if ! wait_healthy "$target" "$HEALTH_TIMEOUT"; then
  log "$target did not come up healthy ($HEALTH_PROBLEM); switching back to $current"
  if [[ -n "$current" ]]; then
    switch_to "$current"
    systemctl restart "$SERVICE"
  fi
  exit 4
fi
state_set --arg p "$current" --arg v "$target" --arg t "$(now)" \
  '.previous_version=$p | .last_result="rolled_back" | .last_check=$t | del(.pending) | .versions_run=((.versions_run // []) + [$v] | unique)'
log "rolled back to $target"
