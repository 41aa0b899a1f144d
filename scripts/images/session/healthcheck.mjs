// Docker HEALTHCHECK of the outpost-session image: healthy when the entrypoint says it is ready and
// the browser server (and VNC, when enabled) accept connections.
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';

const probe = (port) =>
  new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.setTimeout(1500);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });

const ok = existsSync('/tmp/outpost-ready') && (await probe(3000)) && (!process.env.VNC_PASSWORD || (await probe(5900)));
process.exit(ok ? 0 : 1);
