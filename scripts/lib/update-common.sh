# shellcheck shell=bash
# The variables set here are used by the scripts that source this file.
# shellcheck disable=SC2034
# What update.sh, rollback.sh and install.sh share: paths, the version rule, reading env files as
# data, root's own state, the atomic switch and the health wait. Sourced, never run.
#
# Trust: these scripts run as root. Nothing here reads or writes a path that the service user
# (outpost, owner of /var/lib/outpost) can change: state, lock and downloads live in
# $UPDATE_DIR, root's alone; every version is checked against VERSION_RE before it becomes a path;
# env files are parsed, never sourced.

ROOT="${OUTPOST_ROOT:-/opt/outpost}"
ETC="${OUTPOST_ETC:-/etc/outpost}"
UPDATE_DIR="${OUTPOST_UPDATE_DIR:-/var/lib/outpost-update}"
SERVICE="${OUTPOST_SERVICE:-outpost-device}"
STATE="$UPDATE_DIR/state.json"
# Semantic versions only: no slash, no dot segment, nothing a path could be made of.
VERSION_RE='^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$'
RUN_ID="${OUTPOST_UPDATE_RUN_ID:-$(date +%s)-$$}"

valid_version() { [[ "$1" =~ $VERSION_RE && "$1" != *..* ]]; }

# Reads KEY=VALUE lines of an env file (the format systemd's EnvironmentFile= reads) into shell
# variables, as data: only OUTPOST_* keys, values unquoted by the rules of systemd and the shell
# ("…" with \" \\ \$ \` escapes, '…' literal, else the bare word). Nothing is evaluated.
read_env_file() { # file
  local file="$1" line key value
  [[ -f "$file" && ! -L "$file" ]] || return 0
  while IFS= read -r line || [[ -n "$line" ]]; do
    [[ "$line" =~ ^[[:space:]]*(OUTPOST_[A-Z0-9_]+)=(.*)$ ]] || continue
    key="${BASH_REMATCH[1]}"
    value="${BASH_REMATCH[2]}"
    if [[ "$value" =~ ^\"(.*)\"[[:space:]]*$ ]]; then
      value="${BASH_REMATCH[1]}"
      value="$(printf '%s' "$value" | sed -E 's/\\(["\\$`])/\1/g')"
    elif [[ "$value" =~ ^\'(.*)\'[[:space:]]*$ ]]; then
      value="${BASH_REMATCH[1]}"
    else
      value="${value%"${value##*[![:space:]]}"}"
    fi
    printf -v "$key" '%s' "$value"
    export "${key?}"
  done <"$file"
}

# One KEY="VALUE" line that systemd, the shell and read_env_file all read back as VALUE.
env_line() { # key value
  local v="$2"
  [[ "$v" != *$'\n'* ]] || { printf 'env_line: %s has a newline\n' "$1" >&2; return 1; }
  v="${v//\\/\\\\}"
  v="${v//\"/\\\"}"
  v="${v//\$/\\\$}"
  v="${v//\`/\\\`}"
  printf '%s="%s"\n' "$1" "$v"
}

# $UPDATE_DIR is root's: created 0755 (the appliance reads state.json from it), refused when it is
# a link or belongs to someone else. work/ (downloads, temp files) is 0700.
ensure_update_dir() {
  install -d -m 0755 -o root -g root "$UPDATE_DIR"
  [[ ! -L "$UPDATE_DIR" && -O "$UPDATE_DIR" && "$(stat -c %a "$UPDATE_DIR")" == 755 ]] ||
    { printf '%s is not a root-owned directory of mode 0755; refusing to use it\n' "$UPDATE_DIR" >&2; return 1; }
  install -d -m 0700 -o root -g root "$UPDATE_DIR/work"
}

# Holds the update lock on fd 9 for the rest of the process (a root-only file: no link to follow).
take_lock() {
  exec 9>"$UPDATE_DIR/update.lock"
  flock -n 9
}

state_get() { # jq filter [value, as $v]
  if [[ -s "$STATE" ]]; then jq -r --arg v "${2:-}" "$1 // empty" "$STATE" 2>/dev/null || true; fi
}

# Merge fields into state.json atomically (a temp file in the same root-only dir, then rename).
state_set() { # jq args…
  local tmp
  tmp="$(mktemp "$UPDATE_DIR/.state.XXXXXX")"
  { [[ -s "$STATE" ]] && cat "$STATE" || echo '{}'; } | jq "$@" >"$tmp"
  chmod 644 "$tmp"
  mv -f "$tmp" "$STATE"
}

now() { date -u +%Y-%m-%dT%H:%M:%SZ; }

current_version() {
  local v=""
  if [[ -L "$ROOT/current" ]]; then v="$(basename "$(readlink "$ROOT/current")")"; fi
  if valid_version "$v"; then printf '%s' "$v"; fi
}

release_complete() { # version
  valid_version "$1" && [[ -x "$ROOT/releases/$1/bin/node" && "$(cat "$ROOT/releases/$1/VERSION" 2>/dev/null)" == "$1" ]]
}

# Atomic switch: a new symlink beside the old one, renamed over it.
switch_to() { # version
  valid_version "$1" || { log "refusing to switch to an invalid version: $1"; return 1; }
  ln -sfn "releases/$1" "$ROOT/.current.new"
  mv -Tf "$ROOT/.current.new" "$ROOT/current"
  log "switched current to $1"
}

health_url() { printf 'http://127.0.0.1:%s/api/health' "${OUTPOST_PORT:-8080}"; }

running_version() { curl -fsS --max-time 2 "$(health_url)" 2>/dev/null | jq -r '.version // empty' 2>/dev/null || true; }

# The health gate: the appliance answers with `version` AND its readiness check passed: a browser
# started and loaded a page the appliance serves (GET /api/ready). A release older than the check
# (404) is judged on /api/health's version alone. Returns 1 when the deadline passes, and at once
# when the appliance says its check failed (it tried three times): waiting longer would not help.
# HEALTH_PROBLEM says what was last seen, for the log and the report.
HEALTH_PROBLEM=""
wait_healthy() { # version timeout_s
  local deadline=$((SECONDS + $2)) out code body version status
  HEALTH_PROBLEM="no answer from $(appliance_url /api/ready)"
  while ((SECONDS < deadline)); do
    if out="$(curl -sS --max-time 5 -w '\n%{http_code}' "$(appliance_url /api/ready)" 2>/dev/null)"; then
      code="${out##*$'\n'}"
      body="${out%$'\n'*}"
      if [[ "$code" == 404 ]]; then
        version="$(running_version)"
        [[ "$version" == "$1" ]] && return 0
        HEALTH_PROBLEM="/api/health reports version ${version:-none}"
      else
        version="$(jq -r '.version // empty' <<<"$body" 2>/dev/null || true)"
        status="$(jq -r '.status // empty' <<<"$body" 2>/dev/null || true)"
        if [[ "$version" != "$1" ]]; then
          HEALTH_PROBLEM="the appliance reports version ${version:-none}"
        elif [[ "$status" == ready ]]; then
          return 0
        elif [[ "$status" == failed ]]; then
          HEALTH_PROBLEM="its readiness check failed: $(jq -r '.error // "no reason given"' <<<"$body" 2>/dev/null)"
          return 1
        else
          HEALTH_PROBLEM="readiness: ${status:-HTTP $code}"
        fi
      fi
    fi
    sleep 0.5
  done
  HEALTH_PROBLEM="not ready within $2 s (last seen: $HEALTH_PROBLEM)"
  return 1
}

restart_service() {
  log "restarting $SERVICE"
  systemctl restart "$SERVICE"
}

# Is $1 older than $2 (by version order)?
version_lt() { [[ "$1" != "$2" && "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" == "$1" ]]; }

# Update windows (OUTPOST_UPDATE_WINDOW): one or more HH:MM-HH:MM ranges, comma-separated, in the
# device's local time; a range may cross midnight (22:00-04:00); 00:00-00:00 is the whole day.
# Times are taken from an epoch argument, so the tests can ask about any moment.
WINDOW_RE='^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$'

valid_window() { # spec
  local r ranges
  [[ -n "$1" && "$1" != *,, && "$1" != ,* && "$1" != *, ]] || return 1
  IFS=',' read -ra ranges <<<"$1"
  for r in "${ranges[@]}"; do [[ "${r// /}" =~ $WINDOW_RE ]] || return 1; done
}

hhmm_minutes() { echo $((10#${1%%:*} * 60 + 10#${1##*:})); }

minute_of_day() { # epoch → minutes since local midnight
  hhmm_minutes "$(date -d "@$1" +%H:%M)"
}

in_window() { # spec epoch
  local now r a b ranges
  now="$(minute_of_day "$2")"
  IFS=',' read -ra ranges <<<"$1"
  for r in "${ranges[@]}"; do
    r="${r// /}"
    a="$(hhmm_minutes "${r%-*}")"
    b="$(hhmm_minutes "${r#*-}")"
    if ((a == b)) || { ((a < b)) && ((now >= a && now < b)); } || { ((a > b)) && ((now >= a || now < b)); }; then return 0; fi
  done
  return 1
}

next_window_start() { # spec epoch → the next start of a range after that moment, as UTC ISO time
  local now r a wait best=1441 ranges
  now="$(minute_of_day "$2")"
  IFS=',' read -ra ranges <<<"$1"
  for r in "${ranges[@]}"; do
    a="$(hhmm_minutes "${r// /}")"
    wait=$(((a - now + 1440) % 1440))
    ((wait == 0)) && wait=1440
    ((wait < best)) && best=$wait
  done
  date -u -d "@$(($2 - $2 % 60 + best * 60))" +%Y-%m-%dT%H:%M:%SZ
}

# Requests with a secret in a header read it from a pipe, never from the command line (ps shows that).
curl_bearer() { # token curl-args…
  local token="$1"
  shift
  if [[ -n "$token" ]]; then
    curl -H @<(printf 'Authorization: Bearer %s\n' "$token") "$@"
  else
    curl "$@"
  fi
}

appliance_url() { printf 'http://127.0.0.1:%s%s' "${OUTPOST_PORT:-8080}" "$1"; }

# The appliance's drain (GET/POST/DELETE /api/drain), with its API token from device.env. Prints
# the drain's state (draining, drained), "off", or "unsupported" for a release without a drain.
drain_call() { # method
  local out code args=(-sS --max-time 10 -X "$1" -w '\n%{http_code}')
  [[ "$1" == POST ]] && args+=(-H 'content-type: application/json' --data '{}')
  out="$(curl_bearer "${OUTPOST_API_TOKEN:-}" "${args[@]}" "$(appliance_url /api/drain)" 2>/dev/null)" || return 1
  code="${out##*$'\n'}"
  [[ "$code" == 404 ]] && { echo unsupported; return 0; }
  [[ "$code" == 200 ]] || return 1
  jq -r '.drain.state // "off"' <<<"${out%$'\n'*}"
}
