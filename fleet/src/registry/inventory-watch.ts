// The inventory as a live device list: read once at start (an inventory that cannot be used stops
// the monitor from booting), then read again when it changes — a fleet.yaml by the registry, an
// Ansible inventory by running ansible-inventory again. A bad edit never empties the fleet: the
// previous list stays and onError says what is wrong; the next good save is picked up again.
//
// Watching directories rather than the file is what survives editors and tools that replace the
// file (write a temporary file, rename it over): a watch on the file itself would follow the old
// inode and go quiet. Watched: the file's directory (for the file, and for group_vars/ and
// host_vars/ appearing), a symlinked file's target directory, an inventory directory itself, and
// group_vars/ and host_vars/ with their subdirectories, which Ansible reads too. Which directories
// exist is checked again after every read. Events are debounced because one save is several.
import { existsSync, lstatSync, readdirSync, realpathSync, statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InventoryError, loadInventory, type InventoryDevice, type LoadedInventory } from './inventory.js';

/** What the source logs with; pino and Fastify loggers fit. */
export interface InventoryLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface InventorySourceOptions {
  file: string;
  defaultPort?: number;
  /** A new, different device list was read. Not called for the initial read: use current(). */
  onChange(devices: InventoryDevice[]): void | Promise<void>;
  /** The inventory changed but cannot be used (unreadable, invalid, refused by Ansible); current() is unchanged. */
  onError(err: InventoryError): void;
  log: InventoryLog;
  /** Quiet time after the last file event before reading again; default 200 ms. */
  debounceMs?: number;
  /** Longest run of ansible-inventory (see ansible-inventory.ts). */
  ansibleTimeoutMs?: number;
}

export interface InventorySource {
  /** The last valid device list (treat it as read-only). */
  current(): InventoryDevice[];
  /** Read the inventory now; settles after onChange/onError ran. Never rejects. */
  reload(): Promise<void>;
  /** Stops watching, stops a running ansible-inventory and waits for it; idempotent. */
  close(): Promise<void>;
}

const LOGGED_IDS = 10;
const ANSIBLE_VAR_DIRS = ['group_vars', 'host_vars'];

export async function createInventorySource(opts: InventorySourceOptions): Promise<InventorySource> {
  const { log, file } = opts;
  const path = resolve(file);
  const debounceMs = opts.debounceMs ?? 200;
  const closing = new AbortController();
  const load = (): Promise<LoadedInventory> =>
    loadInventory(file, {
      signal: closing.signal,
      ...(opts.defaultPort !== undefined ? { defaultPort: opts.defaultPort } : {}),
      ...(opts.ansibleTimeoutMs !== undefined ? { timeoutMs: opts.ansibleTimeoutMs } : {}),
    });
  const warn = (loaded: LoadedInventory): void => {
    for (const warning of loaded.warnings) log.warn({ file }, warning);
  };

  const first = await load();
  warn(first);
  let devices = first.devices;
  let snapshot = JSON.stringify(devices);
  log.info({ file, kind: first.kind, devices: devices.length }, 'inventory loaded');

  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  const watchers = new Map<string, FSWatcher>();

  const schedule = (): void => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      void reload();
    }, debounceMs);
  };

  /** Watch what watchPlan says exists now; stop watching what no longer does. */
  const syncWatchers = (): void => {
    if (closed) return;
    const plan = watchPlan(path);
    for (const [dir, watcher] of watchers) {
      if (!plan.has(dir)) {
        watcher.close();
        watchers.delete(dir);
      }
    }
    for (const [dir, names] of plan) {
      if (watchers.has(dir)) continue;
      try {
        const watcher = watch(dir, (_event, name) => {
          if (names === undefined || name === null || names.has(name)) schedule();
        });
        watcher.on('error', (err) => log.error({ err, dir }, 'inventory watch failed; changes there are no longer picked up'));
        watchers.set(dir, watcher);
      } catch (err) {
        // The list is still valid and reload() still works; refusing to boot over this would be worse.
        log.error({ err, dir }, 'cannot watch the inventory directory; changes there will not be picked up');
      }
    }
  };
  syncWatchers();

  const fail = (err: InventoryError): void => {
    try {
      opts.onError(err);
    } catch (handlerErr) {
      log.error({ err: handlerErr }, 'inventory onError handler failed');
    }
  };

  const readOnce = async (): Promise<void> => {
    if (closed) return;
    let loaded: LoadedInventory;
    try {
      try {
        loaded = await load();
      } catch (err) {
        // Mid-replace the name can be briefly missing; give the tool one more interval.
        if (!isMissing(err)) throw err;
        await sleep(debounceMs, undefined, { signal: closing.signal });
        loaded = await load();
      }
    } catch (err) {
      if (closed) return;
      return fail(err instanceof InventoryError ? err : new InventoryError(`cannot read the inventory: ${String(err)}`, { file }, { cause: err }));
    } finally {
      syncWatchers();
    }
    if (closed) return;
    warn(loaded);
    const next = loaded.devices;
    const nextSnapshot = JSON.stringify(next);
    if (nextSnapshot === snapshot) {
      log.info({ file, devices: next.length }, 'inventory re-read; devices unchanged');
      return;
    }
    const change = summarise(devices, next);
    devices = next;
    snapshot = nextSnapshot;
    log.info({ file, kind: loaded.kind, devices: next.length, ...change }, 'inventory reloaded');
    try {
      await opts.onChange(next);
    } catch (err) {
      log.error({ err }, 'inventory onChange handler failed');
    }
  };

  // Reads run one after another, so a slow read can never overwrite a newer one.
  let queue: Promise<void> = Promise.resolve();
  const reload = (): Promise<void> => {
    queue = queue.then(readOnce, readOnce);
    return queue;
  };

  let closedAll: Promise<void> | undefined;
  return {
    current: () => devices,
    reload,
    close() {
      if (!closedAll) {
        closed = true;
        clearTimeout(timer);
        timer = undefined;
        closing.abort();
        for (const watcher of watchers.values()) watcher.close();
        watchers.clear();
        closedAll = queue.then(() => undefined);
      }
      return closedAll;
    },
  };
}

/** Directories to watch, each with the entry names that matter there (undefined: all of them). */
function watchPlan(path: string): Map<string, Set<string> | undefined> {
  const plan = new Map<string, Set<string> | undefined>();
  const add = (dir: string, names?: string[]): void => {
    if (!isDirectory(dir)) return;
    const had = plan.get(dir);
    plan.set(dir, names === undefined || (plan.has(dir) && had === undefined) ? undefined : new Set([...(had ?? []), ...names]));
  };
  const varsBase = isDirectory(path) ? path : dirname(path);
  if (varsBase === path) {
    add(path);
  } else {
    add(dirname(path), [basename(path), ...ANSIBLE_VAR_DIRS]);
    const target = symlinkTarget(path);
    // A link may be swapped through another link in the same directory (Kubernetes-style
    // `..data`), so any event there counts; in-place edits happen next to the link's target.
    if (target !== undefined) {
      add(dirname(path));
      add(dirname(target), [basename(target)]);
    }
  }
  for (const name of ANSIBLE_VAR_DIRS) {
    const dir = join(varsBase, name);
    if (!isDirectory(dir)) continue;
    add(dir);
    for (const entry of readdirSafe(dir)) add(join(dir, entry));
  }
  return plan;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Where a symlinked inventory really lives; undefined for a plain file. */
function symlinkTarget(path: string): string | undefined {
  try {
    return lstatSync(path).isSymbolicLink() && existsSync(path) ? realpathSync(path) : undefined;
  } catch {
    return undefined;
  }
}

function isMissing(err: unknown): boolean {
  return err instanceof InventoryError && (err.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

function summarise(before: InventoryDevice[], after: InventoryDevice[]) {
  const old = new Map(before.map((d) => [d.id, JSON.stringify(d)]));
  const now = new Set(after.map((d) => d.id));
  const added = after.filter((d) => !old.has(d.id)).map((d) => d.id);
  const removed = before.filter((d) => !now.has(d.id)).map((d) => d.id);
  const changed = after.filter((d) => old.has(d.id) && old.get(d.id) !== JSON.stringify(d)).length;
  return { added: added.slice(0, LOGGED_IDS), added_count: added.length, removed: removed.slice(0, LOGGED_IDS), removed_count: removed.length, changed };
}
