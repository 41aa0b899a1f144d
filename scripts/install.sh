#!/usr/bin/env bash
# Installs a signed release on a device by hand (what the outpost_device Ansible role does for a
# fleet): verifies it, creates the outpost user and directories, unpacks to
# /opt/outpost/releases/<v>, points /opt/outpost/current at it, writes /etc/outpost/*.env (0600),
# installs the systemd unit and the cron entry for scripts/update.sh, and waits until healthy.
# Run as root. Idempotent: running it again with the same release changes nothing.
#
# usage: install.sh --tarball FILE --pubkey PEM --fleet-url URL [--channel stable]
#                   [--device-id ID] [--host 127.0.0.1] [--port 8080] [--update-token TOKEN]
#                   [--fleet-token TOKEN]   (the token the fleet monitor polls with)
#                   [--cron '*/5 * * * *']
#   The API token is generated on first install (and kept) when --host is not loopback.
# exit: 0 installed and healthy; 1 usage; 3 the release is not verified; 4 not healthy in time
set -euo pipefail
ROOT=/opt/outpost
ETC=/etc/outpost
STATE_DIR=/var/lib/outpost

log() { printf 'outpost-install: %s\n' "$*" >&2; }
die() { log "$2"; exit "$1"; }

tarball="" pubkey="" url="" channel=stable device_id="$(hostname)" host=127.0.0.1 port=8080 update_token="" fleet_token="" cron='*/5 * * * *'
while [[ $# -gt 0 ]]; do
  case "$1" in
    --tarball) tarball="$2"; shift 2 ;;
    --pubkey) pubkey="$2"; shift 2 ;;
    --fleet-url) url="$2"; shift 2 ;;
    --channel) channel="$2"; shift 2 ;;
    --device-id) device_id="$2"; shift 2 ;;
    --host) host="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --update-token) update_token="$2"; shift 2 ;;
    --fleet-token) fleet_token="$2"; shift 2 ;;
    --cron) cron="$2"; shift 2 ;;
    *) die 1 "unknown argument: $1" ;;
  esac
done
[[ $(id -u) -eq 0 ]] || die 1 "run as root"
[[ -f "$tarball" && -f "$pubkey" && -n "$url" ]] || die 1 "usage: $0 --tarball FILE --pubkey PEM --fleet-url URL [...]"

sha="$tarball.sha256"
[[ -f "$sha" && -f "$sha.sig" ]] || die 3 "missing $sha or $sha.sig"
openssl pkeyutl -verify -pubin -inkey "$pubkey" -rawin -in "$sha" -sigfile "$sha.sig" >/dev/null || die 3 "bad signature on $sha"
[[ "$(awk 'NR==1{print $1}' "$sha")" == "$(sha256sum "$tarball" | awk '{print $1}')" ]] || die 3 "checksum mismatch for $tarball"
version="$(basename "$tarball" | sed -E 's/^outpost-(.+)-linux-x64\.tar\.gz$/\1/')"
log "installing $version"

id outpost >/dev/null 2>&1 || useradd --system --home-dir "$STATE_DIR" --shell /usr/sbin/nologin outpost
getent group docker >/dev/null && usermod -aG docker outpost
install -d -m 0755 "$ROOT" "$ROOT/releases"
install -d -m 0750 -o root -g outpost "$ETC"
install -d -m 0750 -o outpost -g outpost "$STATE_DIR"

if [[ "$(cat "$ROOT/releases/$version/VERSION" 2>/dev/null)" != "$version" ]]; then
  rm -rf "$ROOT/releases/.unpack-$version" "$ROOT/releases/$version"
  mkdir -p "$ROOT/releases/.unpack-$version"
  tar -xzf "$tarball" -C "$ROOT/releases/.unpack-$version"
  mv -T "$ROOT/releases/.unpack-$version/outpost-$version" "$ROOT/releases/$version"
  rm -rf "$ROOT/releases/.unpack-$version"
fi
if [[ "$(readlink "$ROOT/current" 2>/dev/null)" != "releases/$version" ]]; then
  ln -sfn "releases/$version" "$ROOT/.current.new"
  mv -Tf "$ROOT/.current.new" "$ROOT/current"
fi

install -m 0644 "$pubkey" "$ETC/release-signing.pub"
token=""
if [[ -f "$ETC/device.env" ]]; then token="$(sed -n 's/^OUTPOST_API_TOKEN=//p' "$ETC/device.env")"; fi
if [[ -z "$token" && "$host" != 127.* && "$host" != localhost ]]; then token="$(openssl rand -hex 24)"; fi
umask 077
{
  echo "OUTPOST_HOST=$host"
  echo "OUTPOST_PORT=$port"
  echo "OUTPOST_DEVICE_ID=$device_id"
  echo "OUTPOST_UPDATE_CHANNEL=$channel"
  if [[ -n "$token" ]]; then echo "OUTPOST_API_TOKEN=$token"; fi
  if [[ -n "$fleet_token" ]]; then echo "OUTPOST_FLEET_DEVICE_TOKEN=$fleet_token"; fi
} >"$ETC/device.env.new"
{
  echo "OUTPOST_UPDATE_URL=$url"
  echo "OUTPOST_UPDATE_CHANNEL=$channel"
  if [[ -n "$update_token" ]]; then echo "OUTPOST_UPDATE_TOKEN=$update_token"; fi
} >"$ETC/update.env.new"
umask 022
changed=0
for f in device.env update.env; do
  if ! cmp -s "$ETC/$f.new" "$ETC/$f" 2>/dev/null; then mv -f "$ETC/$f.new" "$ETC/$f"; changed=1; else rm -f "$ETC/$f.new"; fi
done
if ! cmp -s "$ROOT/current/systemd/outpost-device.service" /etc/systemd/system/outpost-device.service; then
  install -m 0644 "$ROOT/current/systemd/outpost-device.service" /etc/systemd/system/outpost-device.service
  systemctl daemon-reload
  changed=1
fi
printf '# Outpost pull updates (scripts/update.sh); installed by install.sh\n%s root %s/current/scripts/update.sh >/dev/null 2>&1\n' "$cron" "$ROOT" >/etc/cron.d/outpost-update.new
if ! cmp -s /etc/cron.d/outpost-update.new /etc/cron.d/outpost-update 2>/dev/null; then mv -f /etc/cron.d/outpost-update.new /etc/cron.d/outpost-update; else rm -f /etc/cron.d/outpost-update.new; fi
chmod 0644 /etc/cron.d/outpost-update
systemctl enable outpost-device.service >/dev/null 2>&1
running="$(curl -fsS --max-time 2 "http://127.0.0.1:$port/api/health" 2>/dev/null | jq -r '.version // empty' || true)"
if [[ $changed -eq 1 || "$running" != "$version" ]]; then systemctl restart outpost-device.service; fi
for _ in $(seq 1 60); do
  if [[ "$(curl -fsS --max-time 2 "http://127.0.0.1:$port/api/health" 2>/dev/null | jq -r '.version // empty' || true)" == "$version" ]]; then
    log "outpost $version is running on port $port"
    exit 0
  fi
  sleep 1
done
die 4 "outpost $version did not answer on port $port in 60 s (journalctl -u outpost-device)"
