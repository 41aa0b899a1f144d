// The live-view page (web/common/vnc) as served by the fleet monitor: ?device= routes the probe and
// the VNC websocket through the monitor's relay; without it the device paths stay as they were.
import { describe, expect, it } from 'vitest';
import { readParams, sessionApiPath, vncPath } from './params';

describe('live-view paths', () => {
  it('stay the device paths without ?device=', () => {
    const p = readParams({ search: '?session=abc', hash: '#password=pw' });
    expect(p).toEqual({ session: 'abc', device: null, password: 'pw' });
    expect(vncPath('abc', p.device)).toBe('/sessions/abc/vnc');
    expect(sessionApiPath('abc', p.device)).toBe('/api/sessions/abc');
  });

  it('go through the fleet monitor relay with ?device=', () => {
    const p = readParams({ search: '?device=shop%201&session=abc', hash: '' });
    expect(p).toEqual({ session: 'abc', device: 'shop 1', password: null });
    expect(vncPath('abc', p.device)).toBe('/sessions/shop%201/abc/vnc');
    expect(sessionApiPath('abc', p.device)).toBe('/api/sessions/shop%201/abc');
  });
});
