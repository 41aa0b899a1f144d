import { describe, expect, it } from 'vitest';
import { takeSystemdSocket } from './socket-activation.js';

describe('takeSystemdSocket', () => {
  it('takes fd 3 when systemd passed sockets to this very process, and clears the variables', () => {
    const env: NodeJS.ProcessEnv = { LISTEN_FDS: '1', LISTEN_PID: '42', LISTEN_FDNAMES: 'outpost-device.socket', PATH: '/bin' };
    expect(takeSystemdSocket(env, 42)).toBe(3);
    expect(env).toEqual({ PATH: '/bin' });
  });

  it('takes nothing meant for another process, or without sockets, and still clears the variables', () => {
    for (const env of [{ LISTEN_FDS: '1', LISTEN_PID: '41' }, { LISTEN_FDS: '0', LISTEN_PID: '42' }, { LISTEN_FDS: 'x', LISTEN_PID: '42' }, { LISTEN_PID: '42' }, {}] as NodeJS.ProcessEnv[]) {
      expect(takeSystemdSocket(env, 42)).toBeNull();
      expect(env.LISTEN_FDS).toBeUndefined();
      expect(env.LISTEN_PID).toBeUndefined();
    }
  });
});
