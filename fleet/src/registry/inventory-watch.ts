// The inventory file as a live device list: read once at start (an invalid file stops the
// monitor from booting), then re-read when it changes. A bad edit never empties the fleet: the
// previous list stays and onError says what is wrong; the next good save is picked up again.
//
// Watching the directory rather than the file is what survives editors and tools that replace
// the file (write a temporary file, rename it over): a watch on the file itself would follow the
// old inode and go quiet. Events are debounced because one save is several events.
import { lstatSync, readFileSync, realpathSync, watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InventoryError, parseInventory, type InventoryDevice, type InventoryFormat } from './inventory.js';

/** What the source logs with; pino and Fastify loggers fit. */
export interface InventoryLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface InventorySourceOptions {
  file: string;
  defaultPort?: number;
  format?: InventoryFormat | 'auto';
  /** A new, different device list was read. Not called for the initial read: use current(). */
  onChange(devices: InventoryDevice[]): void | Promise<void>;
  /** The file changed but cannot be used (unreadable or invalid); current() is unchanged. */
  onError(err: InventoryError): void;
  log: InventoryLog;
  /** Quiet time after the last file event before re-reading; default 200 ms. */
  debounceMs?: number;
}

export interface InventorySource {
  /** The last valid device list (treat it as read-only). */
  current(): InventoryDevice[];
  /** Re-read the file now; settles after onChange/onError ran. Never rejects. */
  reload(): Promise<void>;
  /** Stops watching and cancels pending work; idempotent. */
  close(): void;
}

const LOGGED_IDS = 10;

export function createInventorySource(opts: InventorySourceOptions): InventorySource {
  const { log } = opts;
  const path = resolve(opts.file);
  const debounceMs = opts.debounceMs ?? 200;
  const parse = (text: string): InventoryDevice[] =>
    parseInventory(text, {
      file: opts.file,
      format: opts.format ?? 'auto',
      ...(opts.defaultPort !== undefined ? { defaultPort: opts.defaultPort } : {}),
      onWarning: (message) => log.warn({ file: opts.file }, message),
    });

  let devices: InventoryDevice[];
  try {
    devices = parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw asInventoryError(err, opts.file);
  }
  let snapshot = JSON.stringify(devices);
  log.info({ file: opts.file, devices: devices.length }, 'inventory loaded');

  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  const closing = new AbortController();
  const watchers: FSWatcher[] = [];

  const schedule = (): void => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      void reload();
    }, debounceMs);
  };

  const watchDir = (dir: string, relevant: (name: string | null) => boolean): void => {
    try {
      const watcher = watch(dir, (_event, name) => {
        if (relevant(name)) schedule();
      });
      watcher.on('error', (err) => log.error({ err, dir }, 'inventory watch failed; file changes are no longer picked up'));
      watchers.push(watcher);
    } catch (err) {
      // The list is still valid and reload() still works; refusing to boot over this would be worse.
      log.error({ err, dir }, 'cannot watch the inventory directory; file changes will not be picked up');
    }
  };

  const target = symlinkTarget(path);
  if (target !== undefined) {
    // A link may be swapped through another link in the same directory (Kubernetes-style
    // `..data`), so any event there counts; in-place edits happen next to the link's target.
    watchDir(dirname(path), () => true);
    watchDir(dirname(target), (n) => n === null || n === basename(target));
  } else {
    watchDir(dirname(path), (n) => n === null || n === basename(path));
  }

  const fail = (err: InventoryError): void => {
    try {
      opts.onError(err);
    } catch (handlerErr) {
      log.error({ err: handlerErr }, 'inventory onError handler failed');
    }
  };

  const readOnce = async (): Promise<void> => {
    if (closed) return;
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      // Mid-replace the name can be briefly missing; give the tool one more interval.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return fail(asInventoryError(err, opts.file));
      try {
        await sleep(debounceMs, undefined, { signal: closing.signal });
        text = await readFile(path, 'utf8');
      } catch (again) {
        if (closed) return;
        return fail(asInventoryError(again, opts.file));
      }
    }
    if (closed) return;

    let next: InventoryDevice[];
    try {
      next = parse(text);
    } catch (err) {
      return fail(asInventoryError(err, opts.file));
    }
    const nextSnapshot = JSON.stringify(next);
    if (nextSnapshot === snapshot) {
      log.info({ file: opts.file, devices: next.length }, 'inventory re-read; devices unchanged');
      return;
    }
    const change = summarise(devices, next);
    devices = next;
    snapshot = nextSnapshot;
    log.info({ file: opts.file, devices: next.length, ...change }, 'inventory reloaded');
    try {
      await opts.onChange(next);
    } catch (err) {
      log.error({ err }, 'inventory onChange handler failed');
    }
  };

  // Reloads run one after another, so a slow read can never overwrite a newer one.
  let queue: Promise<void> = Promise.resolve();
  const reload = (): Promise<void> => {
    queue = queue.then(readOnce, readOnce);
    return queue;
  };

  return {
    current: () => devices,
    reload,
    close() {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      timer = undefined;
      closing.abort();
      for (const w of watchers.splice(0)) w.close();
    },
  };
}

/** Where a symlinked inventory really lives; undefined for a plain file. */
function symlinkTarget(path: string): string | undefined {
  try {
    return lstatSync(path).isSymbolicLink() ? realpathSync(path) : undefined;
  } catch {
    return undefined;
  }
}

function asInventoryError(err: unknown, file: string): InventoryError {
  if (err instanceof InventoryError) return err;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return new InventoryError('the inventory file does not exist', { file }, { cause: err });
  if (code) return new InventoryError(`cannot read the inventory file: ${(err as Error).message}`, { file }, { cause: err });
  // Not expected from the parser; still a reason to keep the previous list rather than crash.
  return new InventoryError(`cannot parse the inventory: ${err instanceof Error ? err.message : String(err)}`, { file }, { cause: err });
}

function summarise(before: InventoryDevice[], after: InventoryDevice[]) {
  const old = new Map(before.map((d) => [d.id, JSON.stringify(d)]));
  const now = new Set(after.map((d) => d.id));
  const added = after.filter((d) => !old.has(d.id)).map((d) => d.id);
  const removed = before.filter((d) => !now.has(d.id)).map((d) => d.id);
  const changed = after.filter((d) => old.has(d.id) && old.get(d.id) !== JSON.stringify(d)).length;
  return { added: added.slice(0, LOGGED_IDS), added_count: added.length, removed: removed.slice(0, LOGGED_IDS), removed_count: removed.length, changed };
}
