#!/usr/bin/env bash
# Pull update of the Outpost appliance, run by cron (/etc/cron.d/outpost-update) as root.
#
#   read the channel manifest from the fleet monitor → skip when current → wait for the update
#   window → download → verify the signed checksum line (it names the release file, so the version
#   too) → refuse a downgrade the operator has not signed off → unpack to
#   /opt/outpost/releases/<v> → drain the appliance and wait until no session is live (else end
#   the drain and record postponed) → switch /opt/outpost/current atomically → restart with
#   systemd → wait for /api/ready: the new version answers and a real browser of it loaded the
#   appliance's own page → otherwise switch back, restart, record rolled_back. Keep the last N
#   releases.
#
# Nothing half-installed, ever: a release directory appears only complete (unpacked aside, then
# renamed); `current` changes by one rename. A run killed at any step leaves a complete release
# running; killed between the switch and the health answer, it leaves a `pending` record, and the
# next run settles it: keeps the new release if it answers healthy, rolls back if not. Until then
# `current` may name the new release while the service still runs the old one.
#
# Root's alone: state (state.json), the lock and the downloads live in $OUTPOST_UPDATE_DIR
# (/var/lib/outpost-update), which the service user cannot write; the bytes verified are the bytes
# unpacked; every version is checked before it becomes a path; device.env and update.env are read
# as data (lib/update-common.sh), never sourced.
#
# Every step logs one line (journal via logger, tagged with the run id, and stderr). The result
# goes to the fleet monitor (POST /api/updates/report) and to state.json, which the appliance
# reports as appliance.update in /api/fleet/status.
#
# Settings: /etc/outpost/update.env (and /etc/outpost/device.env for the device id and port):
#   OUTPOST_UPDATE_URL        the fleet monitor, e.g. http://10.66.0.1:9000 (required)
#   OUTPOST_UPDATE_CHANNEL    release channel (stable)
#   OUTPOST_UPDATE_TOKEN      this device's update credential (the monitor accepts it for this
#                             device's manifest and reports, and for release downloads)
#   OUTPOST_UPDATE_PUBKEY     release signing public key (/etc/outpost/release-signing.pub)
#   OUTPOST_UPDATE_KEEP       releases kept on disk (3)
#   OUTPOST_UPDATE_HEALTH_TIMEOUT_S    how long the new version may take to pass the health gate
#                                      (/api/ready: its version, and a real browser works) (60)
#   OUTPOST_UPDATE_ROLLBACK_TIMEOUT_S  how long the release rolled back to may take (120): it ran
#                                      here before, so waiting longer only costs time
#   OUTPOST_UPDATE_WINDOW     when updates may start: HH:MM-HH:MM ranges, comma-separated, local
#                             time (e.g. 01:00-05:00); empty: any time
#   OUTPOST_UPDATE_DRAIN_TIMEOUT_S  how long live sessions may hold an update back (1800); after
#                             that the drain ends, nothing changes, and a later run tries again
#   OUTPOST_UPDATE_FORCE      1: switch without waiting for live sessions (so does a rollout
#                             marked force)
#   OUTPOST_DEVICE_ID, OUTPOST_PORT, OUTPOST_API_TOKEN  from device.env (hostname, 8080, none)
#   OUTPOST_UPDATE_RUN_ID     names this run in the journal (default: time and pid)
#
# Exit codes:
#   0  updated, or already current, or nothing offered
#   1  bad configuration (a setting or tool is missing, the state directory is not root's)
#   2  another update run holds the lock, or Ansible holds pull updates on this host ($UPDATE_DIR/hold)
#   3  refused: checksum, signature or version binding wrong, or an unsigned-off downgrade
#      (nothing changed)
#   4  the new version failed its health check and was rolled back
#   5  the monitor or the download could not be reached (nothing changed)
#   6  rollback failed: the device needs attention
#   7  postponed: sessions were still live when the drain timed out (nothing changed)
#
# jq programs are single-quoted on purpose: their $variables are jq's, passed with --arg.
# shellcheck disable=SC2016
set -euo pipefail
umask 022
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib/update-common.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib/update-common.sh"

log() {
  printf 'outpost-update: %s\n' "$*" >&2
  logger -t outpost-update -- "[$RUN_ID] $*" 2>/dev/null || true
}
die() { log "$2"; exit "$1"; }

read_env_file "$ETC/device.env"
read_env_file "$ETC/update.env"
URL="${OUTPOST_UPDATE_URL:-}"
CHANNEL="${OUTPOST_UPDATE_CHANNEL:-stable}"
TOKEN="${OUTPOST_UPDATE_TOKEN:-}"
PUBKEY="${OUTPOST_UPDATE_PUBKEY:-$ETC/release-signing.pub}"
KEEP="${OUTPOST_UPDATE_KEEP:-3}"
HEALTH_TIMEOUT="${OUTPOST_UPDATE_HEALTH_TIMEOUT_S:-60}"
ROLLBACK_TIMEOUT="${OUTPOST_UPDATE_ROLLBACK_TIMEOUT_S:-120}"
DEVICE_ID="${OUTPOST_DEVICE_ID:-$(hostname)}"
WINDOW="${OUTPOST_UPDATE_WINDOW:-}"
DRAIN_TIMEOUT="${OUTPOST_UPDATE_DRAIN_TIMEOUT_S:-1800}"
FORCE="${OUTPOST_UPDATE_FORCE:-0}"

# One line per step. OUTPOST_UPDATE_PAUSE_AT=<step> holds the run there for a minute: the tests use
# it to kill -9 the script at each step and check that nothing is ever half-installed. The pause
# holds neither the lock nor the caller's output.
step() {
  log "step $1: $2"
  if [[ "${OUTPOST_UPDATE_PAUSE_AT:-}" == "$1" ]]; then sleep 60 9>&- >/dev/null 2>&1; fi
}

for tool in curl jq openssl sha256sum tar flock systemctl; do
  command -v "$tool" >/dev/null || die 1 "missing tool: $tool"
done
[[ -n "$URL" ]] || die 1 "OUTPOST_UPDATE_URL is not set (in $ETC/update.env)"
[[ -s "$PUBKEY" ]] || die 1 "the release signing public key $PUBKEY is missing"
[[ "$CHANNEL" =~ ^[a-z0-9][a-z0-9_-]{0,63}$ ]] || die 1 "OUTPOST_UPDATE_CHANNEL is not a channel name: $CHANNEL"
[[ -z "$WINDOW" ]] || valid_window "$WINDOW" || die 1 "OUTPOST_UPDATE_WINDOW is not a list of HH:MM-HH:MM ranges: $WINDOW"
[[ "$DRAIN_TIMEOUT" =~ ^[0-9]{1,6}$ ]] || die 1 "OUTPOST_UPDATE_DRAIN_TIMEOUT_S is not a number of seconds: $DRAIN_TIMEOUT"
[[ "$FORCE" == 0 || "$FORCE" == 1 ]] || die 1 "OUTPOST_UPDATE_FORCE must be 0 or 1, not $FORCE"
ensure_update_dir || die 1 "the update state directory $UPDATE_DIR is unusable"
mkdir -p "$ROOT/releases"
take_lock || die 2 "another update run is in progress"
# deploy.yml and site.yml hold pull updates while they change this host's release
# (ansible/roles/outpost_device/tasks/hold.yml): the file, root's, holds the epoch second the hold
# ends by itself, should the play never end it.
held_until="$(head -c 32 "$UPDATE_DIR/hold" 2>/dev/null || true)"
if [[ "$held_until" =~ ^[0-9]{1,12}$ ]] && ((held_until > $(date +%s))); then
  die 2 "Ansible holds pull updates on this host until $(date -u -d "@$held_until" +%Y-%m-%dT%H:%M:%SZ)"
fi
rm -f "$UPDATE_DIR/hold"
# Whatever a killed run left aside (we hold the lock: nobody else is using it).
rm -rf "$UPDATE_DIR/work/"run.* "$ROOT/releases/".unpack-*

# Every call to the monitor carries this device's update credential, from a pipe (curl_bearer).
monitor() { curl_bearer "$TOKEN" "$@"; }

report() { # result from to message
  local body
  body="$(jq -nc --arg d "$DEVICE_ID" --arg c "$CHANNEL" --arg r "$1" --arg f "$2" --arg t "$3" --arg m "$4" \
    'def opt: if . == "" then null else . end; {device:$d, channel:$c, result:$r, from_version:($f|opt), to_version:($t|opt), message:($m|opt)}')"
  monitor -fsS --max-time 10 -H 'content-type: application/json' -d "$body" "$URL/api/updates/report" >/dev/null 2>&1 ||
    log "could not send the report ($1) to the monitor; it will see the result in the device status"
}

finish() { # result from to message exitcode
  state_set --arg c "$CHANNEL" --arg t "$(now)" --arg r "$1" --arg p "$2" \
    '.channel=$c | .last_check=$t | .last_result=$r | del(.pending, .draining) | (if $p != "" then .previous_version=$p else . end)'
  report "$1" "$2" "$3" "$4"
  log "result: $1${4:+ ($4)}"
  exit "$5"
}

# Versions this device has run healthy: going down to one of them needs no sign-off.
remember_run() { # version
  valid_version "$1" && state_set --arg v "$1" '.versions_run=((.versions_run // []) + [$v] | unique)'
}

rollback() { # from(failed) to(previous) why
  log "health check of $1 failed; rolling back to $2"
  if ! release_complete "$2"; then
    finish failed "$2" "$1" "no previous release to roll back to: $3" 6
  fi
  switch_to "$2"
  restart_service
  # Remember the failure, so the next cron run does not try the same version again and again.
  state_set --arg v "$1" '.failed_versions=((.failed_versions // []) + [$v] | unique)'
  if wait_healthy "$2" "$ROLLBACK_TIMEOUT"; then
    finish rolled_back "$2" "$1" "$3" 4
  fi
  finish failed "$2" "$1" "rollback to $2 did not come back healthy either ($HEALTH_PROBLEM)" 6
}

# 1. Finish what a killed run left: a switch that was not confirmed healthy.
pending="$(state_get .pending.version)"
if [[ -n "$pending" ]]; then
  previous="$(state_get .pending.previous)"
  valid_version "$pending" || die 1 "state.json names an invalid pending version"
  valid_version "$previous" || previous=""
  log "resuming the unfinished update to $pending (previous ${previous:-none})"
  if [[ "$(current_version)" == "$pending" ]]; then
    [[ "$(running_version)" == "$pending" ]] || restart_service
    if wait_healthy "$pending" "$HEALTH_TIMEOUT"; then
      remember_run "$pending"
      finish updated "$previous" "$pending" "confirmed after an interrupted run" 0
    fi
    rollback "$pending" "$previous" "the interrupted update did not come up healthy"
  fi
  # The switch never happened: forget it and start over.
  state_set 'del(.pending)'
fi
# A run killed while it drained (before its switch) left the appliance draining: end that drain.
if [[ "$(state_get '.draining // empty')" == true ]]; then
  drain_call DELETE >/dev/null || log "could not end the drain an interrupted run left"
  state_set 'del(.draining)'
fi

current="$(current_version)"
[[ -n "$current" && "$(running_version)" == "$current" ]] && remember_run "$current"

# 2. What should this device run? (The window is recorded on every run: the appliance reports it.)
if [[ -n "$WINDOW" ]]; then
  state_set --arg w "$WINDOW" --arg n "$(next_window_start "$WINDOW" "$(date +%s)")" '.window=$w | .next_window=$n'
else
  state_set 'del(.window, .next_window)'
fi
log "checking $URL for channel $CHANNEL"
manifest="$(monitor -fsS --max-time 20 --get --data-urlencode "device=$DEVICE_ID" "$URL/api/channels/$CHANNEL/manifest")" ||
  { state_set --arg t "$(now)" '.last_check=$t'; die 5 "cannot read the manifest from $URL"; }
want="$(jq -r '.version // empty' <<<"$manifest")"
if [[ -z "$want" || "$want" == "$current" ]]; then
  # Converge a device whose service runs something else than `current` points to.
  if [[ -n "$current" && -n "$(running_version)" && "$(running_version)" != "$current" ]]; then restart_service; fi
  state_set --arg c "$CHANNEL" --arg t "$(now)" '.channel=$c | .last_check=$t | .last_result=(.last_result // "current")'
  log "nothing to do: running ${current:-nothing}, channel offers ${want:-nothing}"
  exit 0
fi
valid_version "$want" || die 5 "the manifest names an invalid version"
if [[ "$(state_get '(.failed_versions // []) | index($v)' "$want")" =~ ^[0-9]+$ ]]; then
  state_set --arg t "$(now)" '.last_check=$t'
  log "skipping $want: it failed its health check on this device before (rollback.sh or a newer release clears this)"
  exit 0
fi
if [[ -n "$WINDOW" ]] && ! in_window "$WINDOW" "$(date +%s)"; then
  state_set --arg t "$(now)" '.last_check=$t'
  # Told once per version, not every cron tick: the monitor counts the devices that wait.
  if [[ "$(state_get '.waiting_reported // empty')" != "$want" ]]; then
    report waiting_window "$current" "$want" "outside the update window $WINDOW"
    state_set --arg v "$want" '.waiting_reported=$v'
  fi
  log "outside the update window $WINDOW: $want waits until $(state_get .next_window)"
  exit 0
fi
[[ "$(jq -r '.force // false' <<<"$manifest")" == true ]] && FORCE=1
step check "update available: ${current:-nothing} -> $want"

# 3. Download and verify into a directory of root's own: nothing on the device changes until every
# check passes, and what is unpacked is the very file that was verified.
file="outpost-$want-linux-x64.tar.gz"
work="$(mktemp -d "$UPDATE_DIR/work/run.XXXXXX")"
trap 'rm -rf "$work"' EXIT
tarball_url="$(jq -r '.url // empty' <<<"$manifest")"
[[ -n "$tarball_url" ]] || die 5 "the manifest offers $want without a URL"
sha_url="$(jq -r '.sha256_url // empty' <<<"$manifest")"
sig_url="$(jq -r '.signature_url // empty' <<<"$manifest")"
sha_url="${sha_url:-$tarball_url.sha256}"
sig_url="${sig_url:-$sha_url.sig}"
monitor -fsS --max-time 600 -o "$work/$file" "$tarball_url" || die 5 "download of $file failed"
step download "downloaded $file ($(du -h "$work/$file" | cut -f1))"
monitor -fsS --max-time 30 -o "$work/$file.sha256" "$sha_url" || finish refused "$current" "$want" "no checksum file" 3
monitor -fsS --max-time 30 -o "$work/$file.sha256.sig" "$sig_url" || finish refused "$current" "$want" "no signature" 3
if ! openssl pkeyutl -verify -pubin -inkey "$PUBKEY" -rawin -in "$work/$file.sha256" -sigfile "$work/$file.sha256.sig" >/dev/null 2>&1; then
  finish refused "$current" "$want" "bad signature" 3
fi
# The signed line is `<sha256>  outpost-<version>-linux-x64.tar.gz`: it binds the checksum to the
# release's name and version, so a manifest cannot pass off one signed release as another.
read -r expected signed_name rest <"$work/$file.sha256" || true
if [[ "${signed_name#\*}" != "$file" || -n "${rest:-}" || "$(wc -l <"$work/$file.sha256")" != 1 ]]; then
  finish refused "$current" "$want" "the signed checksum does not name $file" 3
fi
actual="$(sha256sum "$work/$file" | awk '{print $1}')"
manifest_sha="$(jq -r '.sha256 // empty' <<<"$manifest")"
if [[ "$expected" != "$actual" || (-n "$manifest_sha" && "$manifest_sha" != "$actual") ]]; then
  finish refused "$current" "$want" "checksum mismatch" 3
fi
step verify "verified checksum and signature of $file"

# A version older than the running one that this device has never run is a downgrade: it needs the
# operator's signature over "outpost rollback approved: <file>" (build-release.sh approve-rollback),
# published beside the release as <file>.rollback.sig.
if [[ -n "$current" ]] && version_lt "$want" "$current" &&
  ! [[ "$(state_get '(.versions_run // []) | index($v)' "$want")" =~ ^[0-9]+$ ]]; then
  rb_url="$(jq -r '.rollback_signature_url // empty' <<<"$manifest")"
  rb_url="${rb_url:-$tarball_url.rollback.sig}"
  printf 'outpost rollback approved: %s\n' "$file" >"$work/rollback.msg"
  if ! monitor -fsS --max-time 30 -o "$work/rollback.sig" "$rb_url" 2>/dev/null ||
    ! openssl pkeyutl -verify -pubin -inkey "$PUBKEY" -rawin -in "$work/rollback.msg" -sigfile "$work/rollback.sig" >/dev/null 2>&1; then
    finish refused "$current" "$want" "downgrade from $current to $want, a version this device never ran, is not signed off" 3
  fi
  log "downgrade to $want is signed off by the release key"
fi

# 4. Unpack aside, then rename into place: releases/<v> exists only complete.
if ! release_complete "$want"; then
  unpack="$(mktemp -d "$ROOT/releases/.unpack-XXXXXX")"
  tar -xzf "$work/$file" -C "$unpack" || { rm -rf "$unpack"; finish refused "$current" "$want" "the archive does not unpack" 3; }
  step unpack "unpacked $want aside"
  [[ "$(cat "$unpack/outpost-$want/VERSION" 2>/dev/null)" == "$want" && ! -L "$unpack/outpost-$want" ]] ||
    { rm -rf "$unpack"; finish refused "$current" "$want" "the archive does not hold version $want" 3; }
  rm -rf "${ROOT:?}/releases/$want"
  mv -T "$unpack/outpost-$want" "$ROOT/releases/$want"
  rm -rf "$unpack"
  log "unpacked $want into $ROOT/releases/$want"
fi
rm -rf "$work"

# 5. Drain: no new sessions, and the live ones may finish (up to DRAIN_TIMEOUT). A release without
# a drain (older than it) is switched as before.
drain="$(drain_call POST || echo unreachable)"
if [[ "$drain" == draining || "$drain" == drained ]]; then
  state_set '.draining=true'
  deadline=$((SECONDS + DRAIN_TIMEOUT))
  while [[ "$FORCE" != 1 && "$drain" != drained ]] && ((SECONDS < deadline)); do
    sleep 2
    drain="$(drain_call GET || echo unreachable)"
  done
  if [[ "$FORCE" != 1 && "$drain" != drained ]]; then
    drain_call DELETE >/dev/null || log "could not end the drain"
    state_set 'del(.draining)'
    finish postponed "$current" "$want" "sessions were still live after ${DRAIN_TIMEOUT}s of draining; a later run tries again" 7
  fi
  if [[ "$FORCE" == 1 ]]; then step drain "forced: live sessions end with the restart"; else step drain "drained: no session is live"; fi
else
  log "the appliance has no drain ($drain); switching without one"
fi

# 6. Switch, restart, health gate. (The new process starts without a drain; `draining` stays
# recorded until the run finishes, so a run killed before the restart leaves no drain behind.)
state_set --arg v "$want" --arg p "$current" --arg t "$(now)" '.pending={version:$v, previous:$p, started:$t} | .last_result="in_progress"'
switch_to "$want"
step switch "current is $want; restarting"
restart_service
step restart "waiting up to ${HEALTH_TIMEOUT}s for $want to answer healthy"
if ! wait_healthy "$want" "$HEALTH_TIMEOUT"; then rollback "$want" "$current" "version $want did not pass its health gate: $HEALTH_PROBLEM"; fi
log "$want is healthy"
remember_run "$want"

# 7. Keep the newest N releases (never the current or the previous one).
releases_newest_first() { find "$ROOT/releases" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%T@ %f\n' | sort -rn | cut -d' ' -f2; }
keep_list="$(releases_newest_first | head -n "$KEEP")"
for r in $(releases_newest_first); do
  if valid_version "$r" && ! grep -qx "$r" <<<"$keep_list" && [[ "$r" != "$want" && "$r" != "$current" ]]; then
    rm -rf "${ROOT:?}/releases/$r"
    log "removed old release $r"
  fi
done
finish updated "$current" "$want" "" 0
