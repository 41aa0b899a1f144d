// Finding and ending what a previous run of the appliance left behind. Every process Outpost
// starts for a session (chromium and its children, Xvfb, x11vnc) carries OUTPOST_OWNER=<key> in
// its environment, where the key is derived from the data directory. After a `kill -9` the next
// start scans /proc for that key, so even a process that never made it into state.json is found,
// and two appliances with different data dirs never touch each other's processes.
// (held by leak.int.test.ts 'kill -9 recovery')
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, realpathSync, rmSync, statSync, existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const OWNER_ENV = 'OUTPOST_OWNER';
export const SESSION_ENV = 'OUTPOST_SESSION';

export function ownerKey(dataDir: string): string {
  let real = dataDir;
  try {
    real = realpathSync(dataDir);
  } catch {
    // not created yet: the resolved path is still stable
  }
  return createHash('sha256').update(real).digest('hex').slice(0, 16);
}

export interface OwnedProcess {
  pid: number;
  pgid: number;
  session: string | null;
  command: string;
}

function statFields(pid: number): { pgid: number; state: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may contain spaces and parentheses: fields start after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0] ?? '?', pgid: Number(rest[2]) };
  } catch {
    return null;
  }
}

/** Every live process whose environment says it belongs to this owner key. */
export function findOwnedProcesses(key: string): OwnedProcess[] {
  const needle = `${OWNER_ENV}=${key}`;
  const out: OwnedProcess[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
    } catch {
      continue;
    }
    if (!environ.includes(needle)) continue;
    const vars = environ.split('\0');
    if (!vars.includes(needle)) continue;
    const st = statFields(pid);
    if (!st || st.state === 'Z') continue;
    const session = vars.find((v) => v.startsWith(`${SESSION_ENV}=`))?.slice(SESSION_ENV.length + 1) ?? null;
    let command = '';
    try {
      command = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0')[0] ?? '';
    } catch {
      // exited meanwhile
    }
    out.push({ pid, pgid: st.pgid, session, command });
  }
  return out;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const st = statFields(pid);
    return st !== null && st.state !== 'Z';
  } catch {
    return false;
  }
}

/** SIGKILL every owned process (by group first, so children go too). Returns how many were found. */
export async function killOwnedProcesses(key: string, timeoutMs = 5000): Promise<number> {
  const found = findOwnedProcesses(key);
  const groups = new Set(found.map((p) => p.pgid).filter((g) => g > 1 && g !== process.pid));
  for (const g of groups) {
    // Only kill a group whose leader is ours too; otherwise kill the processes one by one.
    if (found.some((p) => p.pid === g)) {
      try {
        process.kill(-g, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
  for (const p of found) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  const deadline = Date.now() + timeoutMs;
  while (found.some((p) => isAlive(p.pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  return found.length;
}

/** The pid an X server wrote into its display lock (0 when garbled), or null when there is no readable lock. */
export function displayLockPid(display: number): number | null {
  try {
    return Number(readFileSync(`/tmp/.X${display}-lock`, 'utf8').trim()) || 0;
  } catch {
    return null;
  }
}

/** Stale X display locks: the lock file names a pid that no longer runs. */
export function clearStaleDisplay(display: number): boolean {
  const lock = `/tmp/.X${display}-lock`;
  const socket = `/tmp/.X11-unix/X${display}`;
  if (!existsSync(lock)) {
    if (existsSync(socket)) rmSync(socket, { force: true });
    return true;
  }
  const pid = displayLockPid(display);
  if (pid === null) return false;
  if (pid > 0 && isAlive(pid)) return false;
  rmSync(lock, { force: true });
  rmSync(socket, { force: true });
  return true;
}

export function displayInUse(display: number): boolean {
  return existsSync(`/tmp/.X${display}-lock`) && !clearStaleDisplay(display);
}

/**
 * Playwright keeps each browser's profile in a temporary playwright_chromiumdev_profile-* dir and
 * removes it on a clean close; a killed appliance leaves them. Remove the ones no live chromium
 * uses (another appliance on the host may own the rest).
 */
export async function removeOrphanProfiles(dir = tmpdir()): Promise<number> {
  let entries: string[];
  try {
    entries = (await readdir(dir)).filter((n) => n.startsWith('playwright_chromiumdev_profile-') || n.startsWith('playwright-artifacts-'));
  } catch {
    return 0;
  }
  if (entries.length === 0) return 0;
  const inUse = new Set<string>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'latin1').catch(() => '');
    if (!cmdline.includes('playwright')) continue;
    for (const e of entries) if (cmdline.includes(e)) inUse.add(e);
  }
  let removed = 0;
  for (const e of entries) {
    if (inUse.has(e)) continue;
    const p = join(dir, e);
    try {
      // Leave very fresh ones alone: a concurrent launch may not have started chromium yet.
      if (Date.now() - statSync(p).mtimeMs < 60_000) continue;
    } catch {
      continue;
    }
    await rm(p, { recursive: true, force: true }).catch(() => undefined);
    removed += 1;
  }
  return removed;
}
