// What a session leaves behind (issue 15), with real chromium, Xvfb and Debian's ffmpeg: a recording
// with the test page's duration and pixels, served with ranges while it records and after; a
// download kept byte for byte under its own name after the client's context closed (and one of a
// Puppeteer client in the default context); an ended session listed with its logs after an
// appliance restart; a full disk that fails the recording and leaves the session working.
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppliance, type TestAppliance } from '../../test/appliance.js';
import { tempDir, waitFor } from '../../test/helpers.js';
import { startTestPages, testDownloadBytes, type TestPages } from '../../test/pages.js';

const run = promisify(execFile);

/** The video's duration in seconds, by ffprobe. */
async function durationOf(file: string): Promise<number> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration:stream=codec_name,width,height', '-of', 'json', file]);
  const info = JSON.parse(stdout) as { format: { duration?: string }; streams: Array<{ codec_name: string; width: number; height: number }> };
  expect(info.streams[0]).toMatchObject({ codec_name: 'h264' });
  return Number(info.format.duration ?? 0);
}

/** One frame at `atS`, as RGB; the pixel at (x, y). */
async function pixelAt(file: string, atS: number, x: number, y: number, width: number): Promise<[number, number, number]> {
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-ss', String(atS), '-i', file, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
  const i = (y * width + x) * 3;
  return [stdout[i]!, stdout[i + 1]!, stdout[i + 2]!];
}

async function fetchBytes(url: string, headers: Record<string, string> = {}): Promise<{ status: number; bytes: Buffer; headers: Headers }> {
  const res = await fetch(url, { headers });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()), headers: res.headers };
}

describe('session artifacts', () => {
  let pages: TestPages;
  const data = tempDir('outpost-artifacts-');
  let t: TestAppliance;
  beforeAll(async () => {
    pages = await startTestPages();
    t = await startAppliance({ OUTPOST_DATA_DIR: data.path, OUTPOST_RECORDING_FPS: '10' });
  });
  afterAll(async () => {
    await t?.close();
    await pages?.close();
    data.remove();
  });

  it('records the screen: the video has the page and the session time, and is served with ranges while it grows', async () => {
    const began = Date.now();
    const res = await t.api('POST', '/api/sessions', { vnc: true, record: true, width: 640, height: 480, start_url: `${pages.url}/color?c=ff0000` });
    expect(res.status).toBe(201);
    const id = res.body.id as string;
    expect(res.body.recording).toMatchObject({ status: 'recording', error: null, url: `${t.base}/api/sessions/${id}/recording` });
    const file = join(data.path, 'artifacts', id, 'recording.mp4');
    // Three seconds of video, as ffprobe reads the file while it grows.
    await waitFor(async () => (await durationOf(file).catch(() => 0)) >= 3, { timeoutMs: 60_000, what: 'three seconds of recording' });

    const part = await fetchBytes(`${t.base}/api/sessions/${id}/recording`, { range: 'bytes=0-99' });
    expect(part.status).toBe(206);
    expect(part.bytes.length).toBe(100);
    expect(part.headers.get('content-range')).toMatch(/^bytes 0-99\/\d+$/);
    expect(part.bytes.subarray(4, 8).toString()).toBe('ftyp');

    expect((await t.api('DELETE', `/api/sessions/${id}`)).status).toBe(200);
    const lived = (Date.now() - began) / 1000;
    const seconds = await durationOf(file);
    expect(seconds).toBeGreaterThanOrEqual(3);
    expect(seconds).toBeLessThanOrEqual(lived + 1);
    // The page filled the window below the browser's bars: red, give or take the encoder (away
    // from the pointer, which the recording shows in the middle).
    const [r, g, b] = await pixelAt(file, seconds - 1, 100, 400, 640);
    expect(r).toBeGreaterThan(200);
    expect(g).toBeLessThan(60);
    expect(b).toBeLessThan(60);

    const whole = await fetchBytes(`${t.base}/api/sessions/${id}/recording`);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('video/mp4');
    expect(whole.bytes.length).toBe(statSync(file).size);
    const tail = await fetchBytes(`${t.base}/api/sessions/${id}/recording`, { range: 'bytes=-10' });
    expect(tail.status).toBe(206);
    expect(tail.bytes.equals(whole.bytes.subarray(-10))).toBe(true);
    expect((await fetchBytes(`${t.base}/api/sessions/${id}/recording`, { range: `bytes=${whole.bytes.length}-` })).status).toBe(416);

    const ended = (await t.api('GET', '/api/sessions?ended=1')).body.ended as Array<{ id: string; end_reason: string; recording: { status: string; size_bytes: number } }>;
    expect(ended.find((e) => e.id === id)).toMatchObject({ end_reason: 'deleted', recording: { status: 'finished', size_bytes: whole.bytes.length } });
  });

  it('refuses to record what has no screen, and sessions without record have no recording', async () => {
    const headless = await t.api('POST', '/api/sessions', { record: true });
    expect(headless.status).toBe(400);
    expect(headless.body.error.message).toMatch(/record: a headless session has no screen/);
    const plain = await t.api('POST', '/api/sessions', {});
    expect(plain.body.recording).toBeNull();
    expect((await t.api('GET', `/api/sessions/${plain.body.id}/recording`)).status).toBe(404);
    await t.api('DELETE', `/api/sessions/${plain.body.id}`);
  });

  it('keeps a download byte for byte under its own name, after the client closed its context', async () => {
    const res = await t.api('POST', '/api/sessions', {});
    const id = res.body.id as string;
    const browser = await chromium.connect(res.body.ws_endpoint);
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${pages.url}/download-page?name=report%20q3.bin&size=300000`);
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#dl')]);
      expect(await download.failure()).toBeNull();
      await waitFor(async () => ((await t.api('GET', `/api/sessions/${id}/downloads`)).body.downloads as unknown[]).length === 1, { timeoutMs: 15_000, what: 'the download in the list' });
      // Playwright deletes its own copy with the context; the session's stays.
      await context.close();
    } finally {
      await browser.close();
    }
    const list = (await t.api('GET', `/api/sessions/${id}/downloads`)).body.downloads;
    expect(list).toEqual([{ name: 'report q3.bin', size_bytes: 300000, modified_at: expect.any(String) }]);
    const got = await fetchBytes(`${t.base}/api/sessions/${id}/downloads/${encodeURIComponent('report q3.bin')}`);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-disposition')).toBe(`attachment; filename*=UTF-8''report%20q3.bin`);
    expect(got.bytes.equals(testDownloadBytes(300000))).toBe(true);
    const logs = (await t.api('GET', `/api/sessions/${id}/logs`)).body.entries as Array<{ message: string }>;
    expect(logs.some((e) => e.message.startsWith('downloaded "report q3.bin" from '))).toBe(true);

    await t.api('DELETE', `/api/sessions/${id}`);
    const after = await fetchBytes(`${t.base}/api/sessions/${id}/downloads/${encodeURIComponent('report q3.bin')}`);
    expect(after.bytes.equals(testDownloadBytes(300000))).toBe(true);
    expect((await t.api('GET', `/api/sessions/${id}/downloads/nothing.bin`)).status).toBe(404);
    expect((await t.api('GET', `/api/sessions/${id}/downloads/bad%01name`)).status).toBe(400);
  });

  it('keeps a download of a CDP client (Puppeteer, the default context)', async () => {
    const res = await t.api('POST', '/api/sessions', {});
    const id = res.body.id as string;
    const browser = await puppeteer.connect({ browserWSEndpoint: res.body.cdp_endpoint });
    try {
      const page = await browser.newPage();
      await page.goto(`${pages.url}/download-page?name=cdp.bin&size=5000`);
      await page.click('#dl');
      await waitFor(async () => ((await t.api('GET', `/api/sessions/${id}/downloads`)).body.downloads as unknown[]).length === 1, { timeoutMs: 15_000, what: 'the download in the list' });
    } finally {
      await browser.disconnect();
    }
    const got = await fetchBytes(`${t.base}/api/sessions/${id}/downloads/cdp.bin`);
    expect(got.bytes.equals(testDownloadBytes(5000))).toBe(true);
    await t.api('DELETE', `/api/sessions/${id}`);
  });

  it('lists an ended session with its logs and artifacts after a restart', async () => {
    const res = await t.api('POST', '/api/sessions', { labels: { job: 'nightly' } });
    const id = res.body.id as string;
    const browser = await chromium.connect(res.body.ws_endpoint);
    const page = await browser.newPage();
    await page.goto(`${pages.url}/title?t=restart`);
    await page.evaluate(`console.log('before the restart')`);
    await waitFor(async () => ((await t.api('GET', `/api/sessions/${id}/logs`)).body.entries as Array<{ message: string }>).some((e) => e.message === 'before the restart'), {
      timeoutMs: 15_000,
      what: 'the console message',
    });
    await browser.close();
    await t.api('DELETE', `/api/sessions/${id}`);
    await t.app.close();

    t = await startAppliance({ OUTPOST_DATA_DIR: data.path });
    const ended = (await t.api('GET', '/api/sessions?ended=1')).body.ended as Array<{ id: string; labels: object; end_reason: string }>;
    expect(ended.find((e) => e.id === id)).toMatchObject({ labels: { job: 'nightly' }, end_reason: 'deleted' });
    const logs = (await t.api('GET', `/api/sessions/${id}/logs`)).body;
    expect(logs.ended).toBe(true);
    expect(logs.entries.some((e: { message: string }) => e.message === 'before the restart')).toBe(true);
    expect((await t.api('GET', '/api/sessions')).body.ended).toBeUndefined();
  });
});

// A full disk: the artifacts directory on a small tmpfs of its own (mounting needs root).
describe.skipIf(process.getuid?.() !== 0)('a recording on a full disk', () => {
  const data = tempDir('outpost-artifacts-full-');
  const artifacts = join(data.path, 'artifacts');
  let t: TestAppliance;
  let pages: TestPages;
  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    await run('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'outpost-test-full', artifacts]);
    pages = await startTestPages();
    t = await startAppliance({ OUTPOST_DATA_DIR: data.path });
  });
  afterAll(async () => {
    await t?.close();
    await pages?.close();
    await run('umount', ['-l', artifacts]).catch(() => undefined);
    data.remove();
  });

  it('fails the recording, never the session', async () => {
    const res = await t.api('POST', '/api/sessions', { vnc: true, record: true, width: 640, height: 480 });
    expect(res.status).toBe(201);
    const id = res.body.id as string;
    expect(res.body.recording.status).toBe('recording');
    // Fill what is left of the disk.
    try {
      for (let i = 0; i < 64; i += 1) writeFileSync(join(artifacts, `filler-${i}`), Buffer.alloc(256 * 1024, 1));
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
    }
    const browser = await chromium.connect(res.body.ws_endpoint);
    try {
      // Pages keep changing, so the recorder has frames to write and runs into the full disk.
      const page = await browser.newPage();
      let n = 0;
      await waitFor(
        async () => {
          n += 1;
          await page.goto(`${pages.url}/color?c=${n % 2 ? '00ff00' : '0000ff'}`);
          return (await t.api('GET', `/api/sessions/${id}`)).body.recording.status === 'failed';
        },
        { timeoutMs: 60_000, what: 'the recording to fail' },
      );
      const view = (await t.api('GET', `/api/sessions/${id}`)).body;
      expect(view.status).toBe('ready');
      expect(view.recording.error).toMatch(/space/i);
      expect(await page.evaluate('1 + 1')).toBe(2);
    } finally {
      await browser.close();
    }
    const logs = (await t.api('GET', `/api/sessions/${id}/logs`)).body.entries as Array<{ level: string; message: string }>;
    expect(logs.some((e) => e.level === 'error' && e.message.startsWith('recording failed: '))).toBe(true);
    expect((await t.api('DELETE', `/api/sessions/${id}`)).status).toBe(200);
    expect(readdirSync(artifacts).some((f) => f.startsWith('filler-'))).toBe(true);
  });
});
