#!/usr/bin/env bash
# Pull update of the Outpost appliance, run by cron (/etc/cron.d/outpost-update) as root.
#
#   read the channel manifest from the fleet monitor → skip when current → download → verify the
#   checksum and the ed25519 signature → unpack to /opt/outpost/releases/<v> → switch
#   /opt/outpost/current atomically → restart with systemd → wait for /api/health to report the
#   new version → otherwise switch back, restart, record rolled_back. Keep the last N releases.
#
# Nothing half-installed, ever: a release directory appears only complete (unpacked aside, then
# renamed); `current` changes by one rename; a run killed at any step leaves a pending record that
# the next run finishes (keep the new release if it is healthy, roll back if not).
#
# Every step logs one line (journal via logger, and stderr). The result goes to the fleet monitor
# (POST /api/updates/report) and to /var/lib/outpost/update-state.json, which the appliance reports
# as appliance.update in /api/fleet/status.
#
# Settings: /etc/outpost/update.env (and /etc/outpost/device.env for the device id and port):
#   OUTPOST_UPDATE_URL        the fleet monitor, e.g. http://10.66.0.1:9000 (required)
#   OUTPOST_UPDATE_CHANNEL    release channel (stable)
#   OUTPOST_UPDATE_TOKEN      token the monitor accepts for manifests, releases and reports
#   OUTPOST_UPDATE_PUBKEY     release signing public key (/etc/outpost/release-signing.pub)
#   OUTPOST_UPDATE_KEEP       releases kept on disk (3)
#   OUTPOST_UPDATE_HEALTH_TIMEOUT_S  how long the new version may take to answer (60)
#   OUTPOST_DEVICE_ID, OUTPOST_PORT  from device.env (hostname, 8080)
#
# Exit codes:
#   0  updated, or already current, or nothing offered
#   1  bad configuration (a setting or tool is missing)
#   2  another update run holds the lock
#   3  refused: checksum or signature missing or wrong (nothing changed)
#   4  the new version failed its health check and was rolled back
#   5  the monitor or the download could not be reached (nothing changed)
#   6  rollback failed: the device needs attention
#
# jq programs are single-quoted on purpose: their $variables are jq's, passed with --arg.
# shellcheck disable=SC2016
set -euo pipefail
umask 022

ROOT="${OUTPOST_ROOT:-/opt/outpost}"
ETC="${OUTPOST_ETC:-/etc/outpost}"
STATE_DIR="${OUTPOST_STATE_DIR:-/var/lib/outpost}"
SERVICE="${OUTPOST_SERVICE:-outpost-device}"
# shellcheck disable=SC1091
[[ -r "$ETC/device.env" ]] && { set -a; . "$ETC/device.env"; set +a; }
# shellcheck disable=SC1091
[[ -r "$ETC/update.env" ]] && { set -a; . "$ETC/update.env"; set +a; }
URL="${OUTPOST_UPDATE_URL:-}"
CHANNEL="${OUTPOST_UPDATE_CHANNEL:-stable}"
TOKEN="${OUTPOST_UPDATE_TOKEN:-}"
PUBKEY="${OUTPOST_UPDATE_PUBKEY:-$ETC/release-signing.pub}"
KEEP="${OUTPOST_UPDATE_KEEP:-3}"
HEALTH_TIMEOUT="${OUTPOST_UPDATE_HEALTH_TIMEOUT_S:-60}"
DEVICE_ID="${OUTPOST_DEVICE_ID:-$(hostname)}"
PORT="${OUTPOST_PORT:-8080}"
HEALTH_URL="http://127.0.0.1:$PORT/api/health"
STATE="$STATE_DIR/update-state.json"
DOWNLOADS="$STATE_DIR/updates"

log() {
  printf 'outpost-update: %s\n' "$*" >&2
  logger -t outpost-update -- "$*" 2>/dev/null || true
}
die() { log "$2"; exit "$1"; }

# One line per step. OUTPOST_UPDATE_PAUSE_AT=<step> holds the run there for a minute: the tests use
# it to kill -9 the script at each step and check that nothing is ever half-installed.
step() {
  log "step $1: $2"
  if [[ "${OUTPOST_UPDATE_PAUSE_AT:-}" == "$1" ]]; then sleep 60 9>&-; fi
}

for tool in curl jq openssl sha256sum tar flock systemctl; do
  command -v "$tool" >/dev/null || die 1 "missing tool: $tool"
done
[[ -n "$URL" ]] || die 1 "OUTPOST_UPDATE_URL is not set (in $ETC/update.env)"
[[ -s "$PUBKEY" ]] || die 1 "the release signing public key $PUBKEY is missing"
mkdir -p "$ROOT/releases" "$DOWNLOADS"

exec 9>"$STATE_DIR/update.lock"
flock -n 9 || die 2 "another update run is in progress"

now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
auth=()
[[ -n "$TOKEN" ]] && auth=(-H "Authorization: Bearer $TOKEN")

state_get() {
  if [[ -s "$STATE" ]]; then jq -r "$1 // empty" "$STATE" 2>/dev/null || true; fi
}

# Merge fields into update-state.json atomically (temp file + rename).
state_set() {
  local tmp="$STATE.tmp.$$"
  { [[ -s "$STATE" ]] && cat "$STATE" || echo '{}'; } | jq "$@" >"$tmp"
  chmod 644 "$tmp"
  mv -f "$tmp" "$STATE"
}

report() { # result from to message
  local body
  body="$(jq -nc --arg d "$DEVICE_ID" --arg c "$CHANNEL" --arg r "$1" --arg f "$2" --arg t "$3" --arg m "$4" \
    'def opt: if . == "" then null else . end; {device:$d, channel:$c, result:$r, from_version:($f|opt), to_version:($t|opt), message:($m|opt)}')"
  curl -fsS --max-time 10 "${auth[@]}" -H 'content-type: application/json' -d "$body" "$URL/api/updates/report" >/dev/null 2>&1 ||
    log "could not send the report ($1) to the monitor; it will see the result in the device status"
}

finish() { # result from to message exitcode
  state_set --arg c "$CHANNEL" --arg t "$(now)" --arg r "$1" --arg p "$2" \
    '.channel=$c | .last_check=$t | .last_result=$r | del(.pending) | (if $p != "" then .previous_version=$p else . end)'
  report "$1" "$2" "$3" "$4"
  log "result: $1${4:+ ($4)}"
  exit "$5"
}

current_version() {
  if [[ -L "$ROOT/current" ]]; then basename "$(readlink "$ROOT/current")"; fi
}

# Atomic switch: a new symlink beside the old one, renamed over it.
switch_to() {
  ln -sfn "releases/$1" "$ROOT/.current.new"
  mv -Tf "$ROOT/.current.new" "$ROOT/current"
  log "switched current to $1"
}

running_version() { curl -fsS --max-time 2 "$HEALTH_URL" 2>/dev/null | jq -r '.version // empty' 2>/dev/null || true; }

wait_healthy() { # version
  local deadline=$((SECONDS + HEALTH_TIMEOUT))
  while ((SECONDS < deadline)); do
    [[ "$(running_version)" == "$1" ]] && return 0
    sleep 1
  done
  return 1
}

restart() {
  log "restarting $SERVICE"
  systemctl restart "$SERVICE"
}

rollback() { # from(failed) to(previous) why
  log "health check of $1 failed; rolling back to $2"
  if [[ -z "$2" || ! -d "$ROOT/releases/$2" ]]; then
    finish failed "$2" "$1" "no previous release to roll back to: $3" 6
  fi
  switch_to "$2"
  restart
  # Remember the failure, so the next cron run does not try the same version again and again.
  state_set --arg v "$1" '.failed_versions=((.failed_versions // []) + [$v] | unique)'
  if wait_healthy "$2"; then
    finish rolled_back "$2" "$1" "$3" 4
  fi
  finish failed "$2" "$1" "rollback to $2 did not come back healthy either" 6
}

# 1. Finish what a killed run left: a switch that was not confirmed healthy.
pending="$(state_get .pending.version)"
if [[ -n "$pending" ]]; then
  previous="$(state_get .pending.previous)"
  log "resuming the unfinished update to $pending (previous $previous)"
  if [[ "$(current_version)" == "$pending" ]]; then
    [[ "$(running_version)" == "$pending" ]] || restart
    if wait_healthy "$pending"; then finish updated "$previous" "$pending" "confirmed after an interrupted run" 0; fi
    rollback "$pending" "$previous" "the interrupted update did not come up healthy"
  fi
  # The switch never happened: forget it and start over.
  state_set 'del(.pending)'
fi

# 2. What should this device run?
log "checking $URL for channel $CHANNEL"
manifest="$(curl -fsS --max-time 20 "${auth[@]}" "$URL/api/channels/$CHANNEL/manifest?device=$DEVICE_ID")" ||
  { state_set --arg t "$(now)" '.last_check=$t'; die 5 "cannot read the manifest from $URL"; }
want="$(jq -r '.version // empty' <<<"$manifest")"
current="$(current_version)"
if [[ -z "$want" || "$want" == "$current" ]]; then
  # Converge a device whose service runs something else than `current` points to.
  if [[ -n "$current" && -n "$(running_version)" && "$(running_version)" != "$current" ]]; then restart; fi
  state_set --arg c "$CHANNEL" --arg t "$(now)" '.channel=$c | .last_check=$t | .last_result=(.last_result // "current")'
  log "nothing to do: running ${current:-nothing}, channel offers ${want:-nothing}"
  exit 0
fi
[[ "$want" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]] || die 5 "the manifest names an invalid version: $want"
if [[ "$(state_get "(.failed_versions // []) | index(\"$want\")")" =~ ^[0-9]+$ ]]; then
  state_set --arg t "$(now)" '.last_check=$t'
  log "skipping $want: it failed its health check on this device before (rollback.sh or a newer release clears this)"
  exit 0
fi
step check "update available: $current -> $want"

# 3. Download and verify (nothing on the device changes until both checks pass).
file="outpost-$want-linux-x64.tar.gz"
tarball_url="$(jq -r '.url' <<<"$manifest")"
sha_url="$(jq -r '.sha256_url // empty' <<<"$manifest")"
sig_url="$(jq -r '.signature_url // empty' <<<"$manifest")"
sha_url="${sha_url:-$tarball_url.sha256}"
sig_url="${sig_url:-$sha_url.sig}"
rm -f "$DOWNLOADS/$file".part "$DOWNLOADS/$file.sha256.part" "$DOWNLOADS/$file.sha256.sig.part"
curl -fsS --max-time 600 "${auth[@]}" -o "$DOWNLOADS/$file.part" "$tarball_url" || die 5 "download of $file failed"
step download "downloaded $file ($(du -h "$DOWNLOADS/$file.part" | cut -f1))"
curl -fsS --max-time 30 "${auth[@]}" -o "$DOWNLOADS/$file.sha256.part" "$sha_url" || finish refused "$current" "$want" "no checksum file" 3
curl -fsS --max-time 30 "${auth[@]}" -o "$DOWNLOADS/$file.sha256.sig.part" "$sig_url" || finish refused "$current" "$want" "no signature" 3
if ! openssl pkeyutl -verify -pubin -inkey "$PUBKEY" -rawin -in "$DOWNLOADS/$file.sha256.part" -sigfile "$DOWNLOADS/$file.sha256.sig.part" >/dev/null 2>&1; then
  rm -f "$DOWNLOADS/$file".*
  finish refused "$current" "$want" "bad signature" 3
fi
expected="$(awk 'NR==1{print $1}' "$DOWNLOADS/$file.sha256.part")"
actual="$(sha256sum "$DOWNLOADS/$file.part" | awk '{print $1}')"
manifest_sha="$(jq -r '.sha256 // empty' <<<"$manifest")"
if [[ "$expected" != "$actual" || (-n "$manifest_sha" && "$manifest_sha" != "$actual") ]]; then
  rm -f "$DOWNLOADS/$file".*
  finish refused "$current" "$want" "checksum mismatch" 3
fi
step verify "verified checksum and signature of $file"

# 4. Unpack aside, then rename into place: releases/<v> exists only complete.
if [[ ! -x "$ROOT/releases/$want/bin/node" || "$(cat "$ROOT/releases/$want/VERSION" 2>/dev/null)" != "$want" ]]; then
  rm -rf "$ROOT/releases/.unpack-$want" "$ROOT/releases/$want"
  mkdir -p "$ROOT/releases/.unpack-$want"
  tar -xzf "$DOWNLOADS/$file.part" -C "$ROOT/releases/.unpack-$want" || { rm -rf "$ROOT/releases/.unpack-$want"; finish refused "$current" "$want" "the archive does not unpack" 3; }
  step unpack "unpacked $want aside"
  [[ "$(cat "$ROOT/releases/.unpack-$want/outpost-$want/VERSION" 2>/dev/null)" == "$want" ]] ||
    { rm -rf "$ROOT/releases/.unpack-$want"; finish refused "$current" "$want" "the archive does not hold version $want" 3; }
  mv -T "$ROOT/releases/.unpack-$want/outpost-$want" "$ROOT/releases/$want"
  rm -rf "$ROOT/releases/.unpack-$want"
  log "unpacked $want into $ROOT/releases/$want"
fi
rm -f "$DOWNLOADS/$file".*

# 5. Switch, restart, health gate.
state_set --arg v "$want" --arg p "$current" --arg t "$(now)" '.pending={version:$v, previous:$p, started:$t} | .last_result="in_progress"'
switch_to "$want"
step switch "current is $want; restarting"
restart
step restart "waiting up to ${HEALTH_TIMEOUT}s for $want to answer healthy"
if ! wait_healthy "$want"; then rollback "$want" "$current" "version $want did not answer healthy within ${HEALTH_TIMEOUT}s"; fi
log "$want is healthy"

# 6. Keep the newest N releases (never the current or the previous one).
releases_newest_first() { find "$ROOT/releases" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%T@ %f\n' | sort -rn | cut -d' ' -f2; }
keep_list="$(releases_newest_first | head -n "$KEEP")"
for r in $(releases_newest_first); do
  if ! grep -qx "$r" <<<"$keep_list" && [[ "$r" != "$want" && "$r" != "$current" ]]; then
    rm -rf "${ROOT:?}/releases/$r"
    log "removed old release $r"
  fi
done
finish updated "$current" "$want" "" 0
