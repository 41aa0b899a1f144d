#!/usr/bin/env bash
# Installs a signed release on a device by hand (what the outpost_device Ansible role does for a
# fleet): verifies it, creates the outpost user and directories, unpacks to
# /opt/outpost/releases/<v>, points /opt/outpost/current at it, writes /etc/outpost/*.env (0600,
# values quoted: they are data, never code), installs the systemd units (the appliance and its
# socket) and the cron entry for
# scripts/update.sh, and waits until healthy. Run as root. Idempotent: running it again with the
# same release and options changes nothing.
#
# usage: install.sh --tarball FILE --pubkey PEM --fleet-url URL [--channel stable]
#                   [--device-id ID] [--device-name NAME] [--labels k=v,k=v]
#                   [--host 127.0.0.1] [--port 8080]
#                   [--update-token TOKEN]  (this device's update credential from the monitor)
#                   [--fleet-token TOKEN]   (the token the fleet monitor polls with)
#                   [--backend process|docker] [--payload-container NAME]
#                   [--cron '*/5 * * * *'] [--health-timeout 120]
#   The API token is generated on first install (and kept) when --host is not loopback.
#   The outpost user joins the docker group only with --backend docker or --payload-container:
#   access to the Docker socket is root on the host.
# exit: 0 installed and healthy; 1 usage; 3 the release is not verified; 4 not healthy in time
# jq programs are single-quoted on purpose: their $variables are jq's.
# shellcheck disable=SC2016
set -euo pipefail
ROOT=/opt/outpost
ETC=/etc/outpost
STATE_DIR=/var/lib/outpost

log() { printf 'outpost-install: %s\n' "$*" >&2; }
die() { log "$2"; exit "$1"; }

tarball="" pubkey="" url="" channel=stable device_id="$(hostname)" device_name="" labels="" host=127.0.0.1 port=8080
update_token="" fleet_token="" backend=process payload="" cron='*/5 * * * *' health_timeout=120
while [[ $# -gt 0 ]]; do
  [[ $# -ge 2 ]] || die 1 "$1 needs a value"
  case "$1" in
    --tarball) tarball="$2" ;;
    --pubkey) pubkey="$2" ;;
    --fleet-url) url="$2" ;;
    --channel) channel="$2" ;;
    --device-id) device_id="$2" ;;
    --device-name) device_name="$2" ;;
    --labels) labels="$2" ;;
    --host) host="$2" ;;
    --port) port="$2" ;;
    --update-token) update_token="$2" ;;
    --fleet-token) fleet_token="$2" ;;
    --backend) backend="$2" ;;
    --payload-container) payload="$2" ;;
    --cron) cron="$2" ;;
    --health-timeout) health_timeout="$2" ;;
    *) die 1 "unknown argument: $1" ;;
  esac
  shift 2
done
[[ $(id -u) -eq 0 ]] || die 1 "run as root"
[[ -f "$tarball" && -f "$pubkey" && -n "$url" ]] || die 1 "usage: $0 --tarball FILE --pubkey PEM --fleet-url URL [...]"
[[ "$port" =~ ^[0-9]+$ && "$health_timeout" =~ ^[0-9]+$ ]] || die 1 "--port and --health-timeout take whole numbers"
[[ "$backend" == process || "$backend" == docker ]] || die 1 "--backend is process or docker"
[[ "$cron" =~ ^[0-9*/,\ -]+$ ]] || die 1 "--cron takes five cron fields"

file="$(basename "$tarball")"
version="$(sed -nE 's/^outpost-([0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?)-linux-x64\.tar\.gz$/\1/p' <<<"$file")"
[[ -n "$version" && "$version" != *..* ]] || die 1 "$file is not named outpost-<version>-linux-x64.tar.gz"
sha="$tarball.sha256"
[[ -f "$sha" && -f "$sha.sig" ]] || die 3 "missing $sha or $sha.sig"
# Verify a private copy and unpack that very copy: the files given may sit where others can write.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$tarball" "$work/$file"
cp "$sha" "$work/$file.sha256"
cp "$sha.sig" "$work/$file.sha256.sig"
openssl pkeyutl -verify -pubin -inkey "$pubkey" -rawin -in "$work/$file.sha256" -sigfile "$work/$file.sha256.sig" >/dev/null || die 3 "bad signature on $sha"
read -r expected signed_name rest <"$work/$file.sha256" || true
[[ "${signed_name#\*}" == "$file" && -z "${rest:-}" ]] || die 3 "the signed checksum does not name $file"
[[ "$expected" == "$(sha256sum "$work/$file" | awk '{print $1}')" ]] || die 3 "checksum mismatch for $tarball"
log "installing $version"

id outpost >/dev/null 2>&1 || useradd --system --home-dir "$STATE_DIR" --shell /usr/sbin/nologin outpost
# A running appliance keeps the groups it started with: a changed membership restarts it (below).
in_docker_group() { id -nG outpost | tr ' ' '\n' | grep -qx docker; }
groups_changed=0
if getent group docker >/dev/null; then
  if [[ "$backend" == docker || -n "$payload" ]]; then
    if ! in_docker_group; then
      log "adding outpost to the docker group (the docker backend or a payload container needs the engine)"
      usermod -aG docker outpost
      groups_changed=1
    fi
  elif in_docker_group; then
    log "removing outpost from the docker group (neither the docker backend nor a payload container)"
    gpasswd -d outpost docker >/dev/null
    groups_changed=1
  fi
fi
install -d -m 0755 "$ROOT" "$ROOT/releases"
install -d -m 0750 -o root -g outpost "$ETC"
install -d -m 0750 -o outpost -g outpost "$STATE_DIR"

if [[ "$(cat "$ROOT/releases/$version/VERSION" 2>/dev/null)" != "$version" ]]; then
  unpack="$(mktemp -d "$ROOT/releases/.unpack-XXXXXX")"
  tar -xzf "$work/$file" -C "$unpack"
  [[ "$(cat "$unpack/outpost-$version/VERSION" 2>/dev/null)" == "$version" ]] || { rm -rf "$unpack"; die 3 "the archive does not hold version $version"; }
  rm -rf "${ROOT:?}/releases/$version"
  mv -T "$unpack/outpost-$version" "$ROOT/releases/$version"
  rm -rf "$unpack"
fi
# From here on the release's own helpers: env files as data, root's update state.
# shellcheck disable=SC1090,SC1091
. "$ROOT/releases/$version/scripts/lib/update-common.sh"
ensure_update_dir
if [[ "$(readlink "$ROOT/current" 2>/dev/null)" != "releases/$version" ]]; then switch_to "$version"; fi

install -m 0644 "$pubkey" "$ETC/release-signing.pub"
OUTPOST_API_TOKEN=""
read_env_file "$ETC/device.env"
token="$OUTPOST_API_TOKEN"
if [[ -z "$token" && "$host" != 127.* && "$host" != localhost ]]; then token="$(openssl rand -hex 24)"; fi
umask 077
{
  echo '# Outpost device appliance; written by install.sh. Values are data: quoted, never evaluated.'
  env_line OUTPOST_HOST "$host"
  env_line OUTPOST_PORT "$port"
  env_line OUTPOST_DEVICE_ID "$device_id"
  if [[ -n "$device_name" ]]; then env_line OUTPOST_DEVICE_NAME "$device_name"; fi
  if [[ -n "$labels" ]]; then env_line OUTPOST_DEVICE_LABELS "$labels"; fi
  env_line OUTPOST_UPDATE_CHANNEL "$channel"
  env_line OUTPOST_BACKEND "$backend"
  if [[ -n "$payload" ]]; then env_line OUTPOST_PAYLOAD_CONTAINER "$payload"; fi
  if [[ -n "$token" ]]; then env_line OUTPOST_API_TOKEN "$token"; fi
  if [[ -n "$fleet_token" ]]; then env_line OUTPOST_FLEET_DEVICE_TOKEN "$fleet_token"; fi
} >"$ETC/device.env.new"
{
  echo '# Outpost pull updates (scripts/update.sh); written by install.sh.'
  env_line OUTPOST_UPDATE_URL "$url"
  env_line OUTPOST_UPDATE_CHANNEL "$channel"
  if [[ -n "$update_token" ]]; then env_line OUTPOST_UPDATE_TOKEN "$update_token"; fi
} >"$ETC/update.env.new"
umask 022
changed=$groups_changed
for f in device.env update.env; do
  if ! cmp -s "$ETC/$f.new" "$ETC/$f" 2>/dev/null; then mv -f "$ETC/$f.new" "$ETC/$f"; changed=1; else rm -f "$ETC/$f.new"; fi
done
# The socket unit holds the appliance's port across restarts (systemd/outpost-device.socket), on
# the address and port device.env names.
listen="$host:$port"
[[ "$host" == *:* ]] && listen="[$host]:$port"
sed "s|^ListenStream=.*|ListenStream=$listen|" "$ROOT/current/systemd/outpost-device.socket" >/etc/systemd/system/outpost-device.socket.new
socket_changed=0
if ! cmp -s /etc/systemd/system/outpost-device.socket.new /etc/systemd/system/outpost-device.socket; then
  mv -f /etc/systemd/system/outpost-device.socket.new /etc/systemd/system/outpost-device.socket
  socket_changed=1
else
  rm -f /etc/systemd/system/outpost-device.socket.new
fi
if ! cmp -s "$ROOT/current/systemd/outpost-device.service" /etc/systemd/system/outpost-device.service || ((socket_changed)); then
  install -m 0644 "$ROOT/current/systemd/outpost-device.service" /etc/systemd/system/outpost-device.service
  systemctl daemon-reload
  changed=1
fi
printf '# Outpost pull updates (scripts/update.sh); installed by install.sh\n%s root %s/current/scripts/update.sh >/dev/null 2>&1\n' "$cron" "$ROOT" >/etc/cron.d/outpost-update.new
if ! cmp -s /etc/cron.d/outpost-update.new /etc/cron.d/outpost-update 2>/dev/null; then mv -f /etc/cron.d/outpost-update.new /etc/cron.d/outpost-update; else rm -f /etc/cron.d/outpost-update.new; fi
chmod 0644 /etc/cron.d/outpost-update
systemctl enable outpost-device.socket outpost-device.service >/dev/null 2>&1
# A new socket binds only once nothing holds the port: stop the appliance (an older one may have
# bound it itself), then open the socket; the restart below starts the appliance on it.
if ((socket_changed)); then
  systemctl stop outpost-device.service
  systemctl restart outpost-device.socket
fi
export OUTPOST_PORT="$port"
if [[ $changed -eq 1 || "$(running_version)" != "$version" ]]; then systemctl restart outpost-device.service; fi
if wait_healthy "$version" "$health_timeout"; then
  state_set --arg v "$version" '.versions_run=((.versions_run // []) + [$v] | unique)'
  log "outpost $version is running on port $port"
  exit 0
fi
die 4 "outpost $version did not pass its health gate on port $port in $health_timeout s: $HEALTH_PROBLEM (journalctl -u outpost-device)"
