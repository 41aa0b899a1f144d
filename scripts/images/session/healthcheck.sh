#!/bin/bash
# Docker HEALTHCHECK of the outpost-session image: healthy when the entrypoint says it is ready and
# the browser server (and VNC, when enabled) accept connections. Plain bash and /dev/tcp: a check
# that starts a runtime would itself time out on a busy host.
[[ -f /tmp/outpost-ready ]] || exit 1
exec 3<>/dev/tcp/127.0.0.1/3000 || exit 1
if [[ -n "${VNC_PASSWORD:-}" ]]; then
  exec 4<>/dev/tcp/127.0.0.1/5900 || exit 1
fi
exit 0
