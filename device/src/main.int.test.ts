// The appliance as a process, started the way systemd and the playbooks start it.
import { describe, expect, it } from 'vitest';
import { freePort, runBuiltMain, tempDir, waitFor } from '../test/helpers.js';

const runMain = (env: Record<string, string>) => runBuiltMain('device', env);

describe('device appliance process', () => {
  it.each([
    [{ OUTPOST_PORT: 'http' }, /OUTPOST_PORT: expected an integer from 0 to 65535, got "http"/],
    [{ OUTPOST_HOST: '0.0.0.0' }, /OUTPOST_API_TOKEN: expected a token because OUTPOST_HOST=0\.0\.0\.0 is not a loopback address/],
    [{ OUTPOST_CAPACITY_POLICY: 'maybe' }, /OUTPOST_CAPACITY_POLICY: expected one of reject, queue, recycle/],
  ])('exits with status 1 and names the variable on a bad config (%o)', async (env, message) => {
    const run = runMain(env);
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(message);
  });

  it('listens on the configured port and shuts down gracefully on SIGTERM', async () => {
    const dir = tempDir();
    const port = await freePort();
    const run = runMain({ OUTPOST_PORT: String(port), OUTPOST_DATA_DIR: dir.path, OUTPOST_LOG_LEVEL: 'info' });
    try {
      const health = await waitFor(
        async () => {
          const res = await fetch(`http://127.0.0.1:${port}/api/health`);
          return res.ok ? ((await res.json()) as { status: string }) : null;
        },
        { timeoutMs: 20_000, what: 'the appliance to answer' },
      );
      expect(health.status).toBe('ok');
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
      expect(run.output()).toContain('shutting down');
      await expect(fetch(`http://127.0.0.1:${port}/api/health`)).rejects.toThrow();
    } finally {
      run.child.kill('SIGKILL');
      dir.remove();
    }
  });

  it('serves on the socket systemd passes (socket activation), not on a port of its own', async () => {
    const dir = tempDir();
    const [socketPort, ownPort] = [await freePort(), await freePort()];
    // systemd-socket-activate binds the socket and execs node with LISTEN_FDS/LISTEN_PID, as a
    // .socket unit does; the restart across a held socket is tested on the testbed (update.int.test.ts).
    const run = runBuiltMain('device', { OUTPOST_PORT: String(ownPort), OUTPOST_DATA_DIR: dir.path, OUTPOST_LOG_LEVEL: 'info' }, { wrapper: ['systemd-socket-activate', '-l', `127.0.0.1:${socketPort}`] });
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${socketPort}/api/health`).catch(() => null))?.ok === true, { timeoutMs: 20_000, what: 'the appliance on the passed socket' });
      await expect(fetch(`http://127.0.0.1:${ownPort}/api/health`)).rejects.toThrow();
      // The socket answers as soon as listen() returns, a moment before the lines about it are
      // written and reach our pipe: wait for them rather than read the output once.
      await waitFor(async () => /"socket_activated":true/.test(run.output()), { timeoutMs: 20_000, what: 'the "ready to serve" line with socket_activated' });
      expect(run.output()).toContain('the socket systemd passed is not on the configured port');
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
    } finally {
      run.child.kill('SIGKILL');
      dir.remove();
    }
  });
});
