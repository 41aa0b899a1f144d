// What a session leaves behind, through the monitor, with a real appliance behind it (real
// chromium, Xvfb and Debian's ffmpeg): a recording made through the monitor's create and served in
// ranges at the monitor's address while it records and after the session ended; a download made
// by a Playwright client connected through the monitor, relayed byte for byte; the ended session
// listed with its device, and its logs.
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppliance, startTestPages, tempDir, testDownloadBytes, testToken, waitFor, type TestAppliance, type TestPages } from '../../../device/test/index.js';
import { monitorOver, type TestMonitor } from '../../test/test-fleet.js';

const DEVICE_TOKEN = testToken();
const FLEET_TOKEN = testToken();

describe('session artifacts through the fleet monitor', () => {
  const dir = tempDir('outpost-fleet-artifacts-');
  let device: TestAppliance;
  let monitor: TestMonitor;
  let fleetBase: string;
  let pages: TestPages;
  const auth = { authorization: `Bearer ${FLEET_TOKEN}` };
  const api = (method: string, url: string, body?: unknown) => monitor.api(method, url, body);
  const bytes = async (url: string, headers: Record<string, string> = auth) => {
    const res = await fetch(fleetBase + url, { headers });
    return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
  };

  beforeAll(async () => {
    pages = await startTestPages();
    device = await startAppliance({ OUTPOST_API_TOKEN: DEVICE_TOKEN, OUTPOST_DEVICE_ID: 'kiosk-1', OUTPOST_RECORDING_FPS: '10' });
    monitor = await monitorOver(dir.path, [{ id: 'kiosk-1', port: new URL(device.base).port }], { token: FLEET_TOKEN, deviceToken: DEVICE_TOKEN });
    fleetBase = monitor.base;
  });
  afterAll(async () => {
    await monitor?.close();
    await device?.close();
    await pages?.close();
    dir.remove();
  });

  it('records, keeps a download and lists the ended session, all at the monitor’s address', async () => {
    const created = await api('POST', '/api/sessions', { device: 'kiosk-1', record: true, vnc: true, width: 640, height: 480, start_url: `${pages.url}/color?c=ff0000` });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    const path = `/api/sessions/kiosk-1/${id}`;
    expect(created.body.recording).toMatchObject({ status: 'recording', error: null, url: `${fleetBase}${path}/recording` });

    // While it records: the first bytes of a fragmented MP4, in a range, through the monitor.
    await waitFor(async () => (await api('GET', path)).body.recording.size_bytes >= 100, { timeoutMs: 60_000, what: 'the first 100 bytes of the recording' });
    const head = await bytes(`${path}/recording`, { ...auth, range: 'bytes=0-99' });
    expect(head.status).toBe(206);
    expect(head.bytes.length).toBe(100);
    expect(head.bytes.subarray(4, 8).toString()).toBe('ftyp');
    expect(head.headers.get('content-type')).toBe('video/mp4');
    expect(head.headers.get('content-range')).toMatch(/^bytes 0-99\/\d+$/);
    // As a <video> element asks: the token in the query, no header.
    expect((await bytes(`${path}/recording?access_token=${FLEET_TOKEN}`, { range: 'bytes=0-9' })).status).toBe(206);

    // A download by a Playwright client connected through the monitor.
    const client = await chromium.connect(created.body.ws_endpoint, { headers: auth });
    try {
      const page = await client.newPage();
      await page.goto(`${pages.url}/download-page?name=a.bin&size=1000`);
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#dl')]);
      expect(await download.failure()).toBeNull();
      await waitFor(async () => (await api('GET', `${path}/downloads`)).body.downloads?.length === 1, { timeoutMs: 15_000, what: 'the download in the list' });
    } finally {
      await client.close();
    }
    expect((await api('GET', `${path}/downloads`)).body).toEqual({ session: id, downloads: [{ name: 'a.bin', size_bytes: 1000, modified_at: expect.any(String) }] });

    expect((await api('DELETE', path)).status).toBe(200);

    // Ended: listed with its device, its recording finished and pointed at the monitor.
    const ended = await waitFor(
      async () => ((await api('GET', '/api/sessions?ended=1')).body.ended as Array<{ id: string; recording: { size_bytes: number } }>).find((e) => e.id === id),
      { timeoutMs: 30_000, what: 'the ended session in the monitor’s list' },
    );
    expect(ended).toMatchObject({ device: 'kiosk-1', end_reason: 'deleted', downloads: 1, recording: { status: 'finished', url: `${fleetBase}${path}/recording` } });
    const size = ended.recording.size_bytes;

    // After the end: the whole file, a range of it, and a range past it.
    const whole = await bytes(`${path}/recording`);
    expect(whole.status).toBe(200);
    expect(whole.bytes.length).toBe(size);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    const again = await bytes(`${path}/recording`, { ...auth, range: 'bytes=0-99' });
    expect(again.status).toBe(206);
    expect(again.bytes.equals(whole.bytes.subarray(0, 100))).toBe(true);
    const past = await bytes(`${path}/recording`, { ...auth, range: `bytes=${size}-` });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${size}`);

    const file = await bytes(`${path}/downloads/a.bin`);
    expect(file.status).toBe(200);
    expect(file.bytes.equals(testDownloadBytes(1000))).toBe(true);
    expect(file.headers.get('content-disposition')).toMatch(/^attachment; filename\*=UTF-8''a\.bin$/);

    const logs = await api('GET', `${path}/logs`);
    expect(logs.status).toBe(200);
    expect(logs.body.ended).toBe(true);
    const messages = (logs.body.entries as Array<{ message: string }>).map((e) => e.message);
    expect(messages).toEqual(expect.arrayContaining([expect.stringMatching(/^downloaded "a\.bin" from /), 'session ended (deleted)']));

    expect((await api('GET', '/api/sessions/kiosk-1/nope/logs')).status).toBe(404);
  });
});
