// Atomic JSON state (DESIGN.md, "State and recovery"): write a temp file, fsync, rename, fsync the
// directory. Saves are coalesced: while one write is in flight, later snapshots replace each other
// and only the newest is written next, so a burst of changes costs two writes, not N.
import { open, rename, mkdir, readFile } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';

export async function writeJsonAtomic(file: string, data: unknown): Promise<void> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(file)}.${process.pid}.tmp`);
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(`${JSON.stringify(data, null, 2)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

export async function readJson<T>(file: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    if (err instanceof SyntaxError) return null;
    throw err;
  }
}

export interface StateStore<T> {
  /** Resolves once a write containing this snapshot (or a newer one) is on disk. */
  save(snapshot: () => T): Promise<void>;
  load(): Promise<T | null>;
  flush(): Promise<void>;
}

export function createStateStore<T>(file: string, onError: (err: unknown) => void): StateStore<T> {
  let writing: Promise<void> | null = null;
  let pending: { snapshot: () => T; waiters: Array<() => void> } | null = null;

  async function drain(): Promise<void> {
    while (pending) {
      const job = pending;
      pending = null;
      try {
        await writeJsonAtomic(file, job.snapshot());
      } catch (err) {
        onError(err);
      }
      for (const w of job.waiters) w();
    }
    writing = null;
  }

  return {
    save(snapshot) {
      return new Promise<void>((resolve) => {
        if (pending) {
          pending.snapshot = snapshot;
          pending.waiters.push(resolve);
        } else {
          pending = { snapshot, waiters: [resolve] };
        }
        writing ??= drain();
      });
    },
    load: () => readJson<T>(file),
    async flush() {
      while (writing) await writing;
    },
  };
}
