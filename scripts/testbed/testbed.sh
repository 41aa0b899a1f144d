#!/usr/bin/env bash
# A fleet on one machine: N Docker containers booting systemd with sshd (and cron), made from the
# cached Debian rootfs (scripts/images/lib.sh; nothing is pulled). Ansible deploys to them for real,
# the fleet monitor polls them, updates and rollbacks run on them. ssh and the appliance port are
# published on 127.0.0.1 only.
#
# usage: scripts/testbed/testbed.sh up N | down | status | inventory | ssh-key
#   up N       start devices 1..N (idempotent; prints the inventory path)
#   down       remove every testbed container and the network
#   inventory  write an Ansible inventory of the running devices (INI) and print its path
#
# env: OUTPOST_TESTBED (name, default "outpost-tb"; several testbeds can run side by side),
#      OUTPOST_TESTBED_NET (second octet of 10.X.0.0/24, default 77),
#      OUTPOST_TESTBED_SSH_BASE (2200), OUTPOST_TESTBED_HTTP_BASE (18100)
# exit: 0 ok; 1 usage or a missing tool; 2 a device did not come up
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/images/lib.sh
source "$here/../images/lib.sh"

NAME="${OUTPOST_TESTBED:-outpost-tb}"
NET_OCTET="${OUTPOST_TESTBED_NET:-77}"
SSH_BASE="${OUTPOST_TESTBED_SSH_BASE:-2200}"
HTTP_BASE="${OUTPOST_TESTBED_HTTP_BASE:-18100}"
NETWORK="$NAME-net"
SUBNET="10.$NET_OCTET.0.0/24"
DIR="$OUTPOST_CACHE_DIR/testbed/$NAME"
KEY="$OUTPOST_CACHE_DIR/testbed/id_ed25519"

tb_log() { printf '[testbed] %s\n' "$*" >&2; }

ensure_key() {
  mkdir -p "$(dirname "$KEY")"
  [[ -s "$KEY" ]] || ssh-keygen -q -t ed25519 -N '' -C outpost-testbed -f "$KEY"
}

ensure_image() {
  local base hash image
  base="$(ensure_rootfs_image)"
  hash="$( (echo "$base"; cat "$here/Dockerfile") | sha256sum | cut -c1-12)"
  image="outpost-testbed:$hash"
  if ! docker image inspect "$image" >/dev/null 2>&1; then
    tb_log "building $image"
    docker build -q --build-arg "ROOTFS_IMAGE=$base" -t "$image" "$here" >/dev/null
  fi
  echo "$image"
}

ensure_network() {
  docker network inspect "$NETWORK" >/dev/null 2>&1 ||
    docker network create --subnet "$SUBNET" --gateway "10.$NET_OCTET.0.1" --label outpost.testbed=true "$NETWORK" >/dev/null
}

device_ip() { echo "10.$NET_OCTET.0.$((10 + $1))"; }

running_devices() {
  docker ps --filter "label=outpost.testbed=$NAME" --format '{{.Names}}' | sed -n "s/^$NAME-//p" | sort -n
}

write_inventory() {
  mkdir -p "$DIR"
  local inv="$DIR/inventory.ini"
  {
    echo "# Testbed $NAME: written by scripts/testbed/testbed.sh"
    echo "[devices]"
    for i in $(running_devices); do
      echo "tb$i ansible_host=127.0.0.1 ansible_port=$((SSH_BASE + i)) outpost_vpn_address=$(device_ip "$i") outpost_published_port=$((HTTP_BASE + i))"
    done
    echo
    echo "[devices:vars]"
    echo "ansible_user=root"
    echo "ansible_ssh_private_key_file=$KEY"
    echo "ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR'"
    echo "ansible_python_interpreter=/usr/bin/python3"
  } >"$inv"
  echo "$inv"
}

up() {
  local n="$1" image i name
  [[ "$n" =~ ^[0-9]+$ && "$n" -ge 1 && "$n" -le 50 ]] || { tb_log "N must be 1..50"; exit 1; }
  ensure_dockerd
  ensure_key
  image="$(ensure_image)"
  ensure_network
  for i in $(seq 1 "$n"); do
    name="$NAME-$i"
    if docker inspect "$name" >/dev/null 2>&1; then
      [[ "$(docker inspect -f '{{.State.Running}}' "$name")" == true ]] || docker start "$name" >/dev/null
      continue
    fi
    # seccomp=unconfined: Docker's default profile refuses unshare(CLONE_NEWUSER) without
    # CAP_SYS_ADMIN, and chromium's sandbox under the appliance's unit needs user namespaces, as
    # on a real device. (--privileged would do too, but does not start on every host.)
    docker run -d --name "$name" --hostname "tb$i" \
      --label "outpost.testbed=$NAME" \
      --security-opt seccomp=unconfined \
      --network "$NETWORK" --ip "$(device_ip "$i")" \
      -p "127.0.0.1:$((SSH_BASE + i)):22" -p "127.0.0.1:$((HTTP_BASE + i)):8080" \
      --tmpfs /run --tmpfs /run/lock -v /sys/fs/cgroup:/sys/fs/cgroup:ro \
      --device /dev/net/tun --cap-add NET_ADMIN \
      -v "$KEY.pub:/root/.ssh/authorized_keys:ro" \
      "$image" >/dev/null
  done
  for i in $(seq 1 "$n"); do
    name="$NAME-$i"
    local ok=0
    for _ in $(seq 1 120); do
      if [[ "$(docker exec "$name" systemctl is-system-running 2>/dev/null)" =~ ^(running|degraded)$ ]] &&
        ssh -q -i "$KEY" -p "$((SSH_BASE + i))" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=2 root@127.0.0.1 true 2>/dev/null; then
        ok=1
        break
      fi
      sleep 0.5
    done
    [[ $ok -eq 1 ]] || { tb_log "$name did not come up"; exit 2; }
  done
  tb_log "$n device(s) up: ssh 127.0.0.1:$((SSH_BASE + 1))..$((SSH_BASE + n)), appliance 127.0.0.1:$((HTTP_BASE + 1))..$((HTTP_BASE + n))"
  write_inventory
}

down() {
  local ids
  ids="$(docker ps -aq --filter "label=outpost.testbed=$NAME")"
  if [[ -n "$ids" ]]; then
    # shellcheck disable=SC2086 # one id per word
    docker rm -f $ids >/dev/null
  fi
  docker network rm "$NETWORK" >/dev/null 2>&1 || true
  rm -rf "$DIR"
  tb_log "removed testbed $NAME"
}

case "${1:-}" in
  up) up "${2:-3}" ;;
  down) down ;;
  status) docker ps --filter "label=outpost.testbed=$NAME" --format 'table {{.Names}}\t{{.Status}}\t{{.Ports}}' ;;
  inventory) write_inventory ;;
  ssh-key) ensure_key; echo "$KEY" ;;
  *) echo "usage: $0 up N | down | status | inventory | ssh-key" >&2; exit 1 ;;
esac
