// Spawn, wait and kill for the child processes of the process backend (Xvfb, x11vnc; chromium is
// started by Playwright). Each child leads its own process group (spawned detached), so ending a
// session ends everything the child started too.
import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';

export function exitOf(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(`exited (${child.signalCode ?? child.exitCode})`);
    else child.once('exit', (code, signal) => resolve(`exited (${signal ?? code})`));
  });
}

/** Wait until `ready()` holds, failing early if the process exits. */
export async function waitReady(child: ChildProcess, what: string, ready: () => boolean | Promise<boolean>, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${what} exited (${child.signalCode ?? child.exitCode}) before it was ready: ${output().trim().slice(-400)}`);
    }
    if (await ready()) return;
    if (Date.now() > deadline) throw new Error(`${what} was not ready within ${timeoutMs} ms: ${output().trim().slice(-400)}`);
    await new Promise((r) => setTimeout(r, 15));
  }
}

// What the backend started and is still running, so that every way out of the process ends it:
// a graceful close stops sessions one by one; a second signal, a close that took too long or an
// uncaught error exits at once (shared/http/run-service.ts), and this 'exit' hook then kills each
// group synchronously, from these records.
const liveGroups = new Set<ChildProcess>();

function killLiveGroups(): void {
  for (const child of liveGroups) killGroup(child, 'SIGKILL');
}

/** Keep `child` (the leader of its own process group) in the records until it exits. */
export function trackGroup<C extends ChildProcess>(child: C): C {
  if (!child.pid || child.exitCode !== null || child.signalCode !== null) return child;
  if (liveGroups.size === 0) process.on('exit', killLiveGroups);
  liveGroups.add(child);
  child.once('exit', () => {
    liveGroups.delete(child);
    if (liveGroups.size === 0) process.off('exit', killLiveGroups);
  });
  return child;
}

/** How many process groups are in the records (for tests). */
export function trackedGroups(): number {
  return liveGroups.size;
}

export function killGroup(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (!child?.pid) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

export async function stopChild(child: ChildProcess | undefined, graceMs = 1500): Promise<void> {
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
  const exited = exitOf(child);
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function pssOf(pid: number): Promise<number> {
  try {
    const text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
    const m = /^Pss:\s+(\d+) kB/m.exec(text);
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}
