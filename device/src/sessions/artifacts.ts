// What a session leaves behind (issue 15): its recording, its downloads, its logs and its record,
// under ${OUTPOST_DATA_DIR}/artifacts/<session id>/. They outlive the session, and an appliance
// restart, for OUTPOST_ARTIFACT_RETENTION_H, and all of them together stay within
// OUTPOST_ARTIFACT_MAX_MB: the oldest ended session's go first. A live session's are never removed
// (they count towards the cap). An ended session is listed (GET /api/sessions?ended=1) for as long
// as its directory is here.
//
//   artifacts/<id>/session.json    the record (artifactRecord), rewritten when the session ends
//   artifacts/<id>/logs.json       the session's logs at its end (session-logs.ts)
//   artifacts/<id>/recording.mp4   with `record: true` (backends/screen-recorder.ts)
//   artifacts/<id>/downloads/      what the pages downloaded (session-downloads.ts)
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Log } from '../shared/log.js';
import type { ArtifactRecord, DownloadView } from '../shared/session-schemas.js';
import type { LogEntry } from './session-logs.js';

export const RECORDING_FILE = 'recording.mp4';
const RECORD_FILE = 'session.json';
const LOGS_FILE = 'logs.json';
const DOWNLOADS_DIR = 'downloads';
const SWEEP_EVERY_MS = 60_000;

export interface ArtifactsOptions {
  dataDir: string;
  retentionH: number;
  maxBytes: number;
  log: Log;
  /** Ids of the sessions alive now: theirs are never swept. */
  live: () => ReadonlySet<string>;
  now?: () => number;
}

export interface StoredLogs {
  entries: LogEntry[];
  dropped: number;
}

/** Bytes of the regular files under `dir` (two levels: the session's files and its downloads). */
async function sizeOf(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await sizeOf(p);
    else if (e.isFile()) total += (await stat(p).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

async function readJson<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return null;
  }
}

export function createArtifacts(opts: ArtifactsOptions) {
  const root = join(opts.dataDir, 'artifacts');
  const now = opts.now ?? Date.now;
  const { log } = opts;
  const dirOf = (id: string) => join(root, id);
  let timer: NodeJS.Timeout | null = null;
  let sweeping: Promise<number> | null = null;
  /** Records being written at the end of their sessions (stop() waits for them). */
  const closing = new Set<Promise<void>>();

  /** What the directory holds now, filled into the record. */
  async function withContents(id: string, rec: ArtifactRecord): Promise<ArtifactRecord> {
    const dir = dirOf(id);
    const recording = await stat(join(dir, RECORDING_FILE)).catch(() => null);
    const downloads = await readdir(join(dir, DOWNLOADS_DIR)).catch(() => []);
    return {
      ...rec,
      recording: rec.recording ? { ...rec.recording, size_bytes: recording?.size ?? 0 } : null,
      downloads: downloads.length,
      size_bytes: await sizeOf(dir),
    };
  }

  /** One directory's record; one a run that ended abruptly left unfinished counts as ended then. */
  async function recordOf(id: string, live: ReadonlySet<string>): Promise<ArtifactRecord | null> {
    const rec = await readJson<ArtifactRecord>(join(dirOf(id), RECORD_FILE));
    if (rec && rec.ended_at === null && !live.has(id)) {
      const mtime = (await stat(dirOf(id)).catch(() => null))?.mtime ?? new Date(now());
      rec.ended_at = mtime.toISOString();
      rec.end_reason = 'appliance_stopped';
      if (rec.recording?.status === 'recording') rec.recording.status = 'finished';
    }
    return rec;
  }

  /** The records of every directory. */
  async function records(): Promise<ArtifactRecord[]> {
    const live = opts.live();
    const ids = (await readdir(root, { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory()).map((e) => e.name);
    const out: ArtifactRecord[] = [];
    for (const id of ids) {
      const rec = await recordOf(id, live);
      if (rec) out.push(rec);
    }
    return out;
  }

  /** Retention first, then the size cap, oldest ended first; returns how many sessions' artifacts went. */
  async function sweepOnce(): Promise<number> {
    const live = opts.live();
    const all = await records();
    const cutoff = now() - opts.retentionH * 3600_000;
    let removed = 0;
    const remove = async (id: string, why: string) => {
      await rm(dirOf(id), { recursive: true, force: true });
      removed += 1;
      log.info({ sessionId: id, why }, 'session artifacts removed');
    };
    const ended = all.filter((r) => r.ended_at !== null && !live.has(r.id)).sort((a, b) => Date.parse(a.ended_at!) - Date.parse(b.ended_at!));
    const kept: Array<{ id: string; size: number }> = [];
    for (const r of ended) {
      if (Date.parse(r.ended_at!) < cutoff) await remove(r.id, 'retention');
      else kept.push({ id: r.id, size: await sizeOf(dirOf(r.id)) });
    }
    // Every directory counts towards the cap, live sessions' too (a long recording).
    let total = kept.reduce((a, k) => a + k.size, 0);
    for (const r of all) if (!kept.some((k) => k.id === r.id) && (r.ended_at === null || live.has(r.id))) total += await sizeOf(dirOf(r.id));
    for (const k of kept) {
      if (total <= opts.maxBytes) break;
      await remove(k.id, 'size_cap');
      total -= k.size;
    }
    return removed;
  }

  return {
    root,
    dirOf,
    recordingPath: (id: string) => join(dirOf(id), RECORDING_FILE),
    downloadsDir: (id: string) => join(dirOf(id), DOWNLOADS_DIR),
    /** A client session began: its directory and its first record. */
    async open(rec: ArtifactRecord): Promise<void> {
      await mkdir(join(dirOf(rec.id), DOWNLOADS_DIR), { recursive: true, mode: 0o700 });
      await writeFile(join(dirOf(rec.id), RECORD_FILE), JSON.stringify(rec));
    },
    /** The session ended: its final record and its logs; then old artifacts make room. Never throws. */
    close(rec: ArtifactRecord, logs: StoredLogs | null): Promise<void> {
      const done = (async () => {
        const dir = dirOf(rec.id);
        if (!(await stat(dir).catch(() => null))) return;
        if (logs) await writeFile(join(dir, LOGS_FILE), JSON.stringify(logs));
        await writeFile(join(dir, RECORD_FILE), JSON.stringify(await withContents(rec.id, rec)));
      })()
        .catch((err: unknown) => log.warn({ err, sessionId: rec.id }, 'writing the session record failed'))
        .then(() => void this.sweep())
        .finally(() => closing.delete(done));
      closing.add(done);
      return done;
    },
    /** Ended sessions whose artifacts are still here, newest end first. */
    async ended(): Promise<ArtifactRecord[]> {
      const live = opts.live();
      const list = (await records()).filter((r) => r.ended_at !== null && !live.has(r.id));
      return list.sort((a, b) => Date.parse(b.ended_at!) - Date.parse(a.ended_at!));
    },
    /** One session's record (live or ended), or null when it has no artifacts here. */
    async record(id: string): Promise<ArtifactRecord | null> {
      return recordOf(id, opts.live());
    },
    async logs(id: string): Promise<StoredLogs | null> {
      return readJson<StoredLogs>(join(dirOf(id), LOGS_FILE));
    },
    async downloads(id: string): Promise<DownloadView[]> {
      const dir = join(dirOf(id), DOWNLOADS_DIR);
      const out: DownloadView[] = [];
      for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
        if (!e.isFile()) continue;
        const info = await stat(join(dir, e.name)).catch(() => null);
        if (info) out.push({ name: e.name, size_bytes: info.size, modified_at: info.mtime.toISOString() });
      }
      return out.sort((a, b) => a.modified_at.localeCompare(b.modified_at) || a.name.localeCompare(b.name));
    },
    /** One sweep at a time; a call during one waits for it. */
    sweep(): Promise<number> {
      sweeping ??= sweepOnce()
        .catch((err: unknown) => {
          log.warn({ err }, 'sweeping session artifacts failed');
          return 0;
        })
        .finally(() => (sweeping = null));
      return sweeping;
    },
    start(): void {
      timer = setInterval(() => void this.sweep(), SWEEP_EVERY_MS);
      timer.unref();
      void this.sweep();
    },
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = null;
      await Promise.all(closing);
      await sweeping;
    },
  };
}

export type Artifacts = ReturnType<typeof createArtifacts>;
