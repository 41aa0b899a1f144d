// Retention and the size cap of session artifacts (artifacts.ts), on real directories with a
// clock of the test's own.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ArtifactRecord } from '../shared/session-schemas.js';
import { pino } from 'pino';
import { tempDir } from '../../test/helpers.js';
import { createArtifacts } from './artifacts.js';

const HOUR = 3600_000;

function record(id: string, endedAt: number | null): ArtifactRecord {
  return {
    id,
    client_id: null,
    profile: null,
    protocol: 'api',
    headless: true,
    vnc_enabled: false,
    width: 1280,
    height: 800,
    labels: {},
    start_url: null,
    created_at: new Date(0).toISOString(),
    ended_at: endedAt === null ? null : new Date(endedAt).toISOString(),
    end_reason: endedAt === null ? null : 'deleted',
    recording: null,
    downloads: 0,
    size_bytes: 0,
  };
}

describe('session artifacts', () => {
  const dirs: Array<{ remove(): void }> = [];
  afterEach(() => dirs.splice(0).forEach((d) => d.remove()));

  function setup(opts: { retentionH: number; maxBytes: number; live?: string[] }) {
    const dir = tempDir('outpost-artifacts-unit-');
    dirs.push(dir);
    let t = 100 * HOUR;
    const artifacts = createArtifacts({ dataDir: dir.path, retentionH: opts.retentionH, maxBytes: opts.maxBytes, log: pino({ level: 'silent' }), live: () => new Set(opts.live ?? []), now: () => t });
    /** A session's artifacts: its record and `bytes` of recording. */
    const put = (id: string, endedAt: number | null, bytes: number) => {
      mkdirSync(join(artifacts.root, id, 'downloads'), { recursive: true });
      writeFileSync(join(artifacts.root, id, 'session.json'), JSON.stringify(record(id, endedAt)));
      writeFileSync(join(artifacts.recordingPath(id)), Buffer.alloc(bytes));
    };
    return { artifacts, put, exists: (id: string) => existsSync(join(artifacts.root, id)), advance: (ms: number) => (t += ms), now: () => t };
  }

  it('removes what is older than the retention, counted from the end', async () => {
    const { artifacts, put, exists, now } = setup({ retentionH: 24, maxBytes: 1e9 });
    put('old', now() - 25 * HOUR, 10);
    put('recent', now() - 23 * HOUR, 10);
    expect(await artifacts.sweep()).toBe(1);
    expect(exists('old')).toBe(false);
    expect(exists('recent')).toBe(true);
    expect((await artifacts.ended()).map((r) => r.id)).toEqual(['recent']);
  });

  it('keeps all of them within the cap, the oldest ended first out, never a live session', async () => {
    const { artifacts, put, exists, now } = setup({ retentionH: 24, maxBytes: 3000, live: ['live'] });
    put('live', null, 1000);
    put('a', now() - 3 * HOUR, 1000);
    put('b', now() - 2 * HOUR, 1000);
    put('c', now() - 1 * HOUR, 1000);
    // 4000 bytes of recordings (and four records of some 400 bytes) against 3000: a and b go, the live one stays.
    expect(await artifacts.sweep()).toBe(2);
    expect(['live', 'a', 'b', 'c'].map(exists)).toEqual([true, false, false, true]);
  });

  it('counts a session a stopped appliance left unfinished as ended then, and lists the newest end first', async () => {
    const { artifacts, put } = setup({ retentionH: 24, maxBytes: 1e9 });
    put('unfinished', null, 10);
    put('finished', Date.now() - HOUR, 10);
    const ended = await artifacts.ended();
    expect(ended.map((r) => r.id)).toEqual(['unfinished', 'finished']);
    expect(ended[0]).toMatchObject({ end_reason: 'appliance_stopped' });
  });

  it('writes the final record with what the directory holds, and the logs', async () => {
    const { artifacts, put, now } = setup({ retentionH: 24, maxBytes: 1e9 });
    put('s', null, 0);
    writeFileSync(join(artifacts.downloadsDir('s'), 'one.txt'), 'abc');
    await artifacts.close({ ...record('s', now()), recording: { status: 'finished', error: null, size_bytes: 0 } }, { entries: [{ at: 'x', kind: 'lifecycle', level: 'info', message: 'hi' }], dropped: 0 });
    const r = await artifacts.record('s');
    expect(r).toMatchObject({ downloads: 1, recording: { status: 'finished', size_bytes: 0 } });
    expect(r!.size_bytes).toBeGreaterThan(3);
    expect((await artifacts.logs('s'))?.entries[0]?.message).toBe('hi');
    expect(await artifacts.downloads('s')).toEqual([{ name: 'one.txt', size_bytes: 3, modified_at: expect.any(String) }]);
  });
});
