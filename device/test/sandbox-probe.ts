// Run by process-backend.int.test.ts as an unprivileged user (the tests themselves run as root,
// where chromium cannot have its sandbox): launches one headless session with the real process
// backend, loads a page through it, and prints what the test asserts on as one JSON line.
//
// usage: node --import tsx device/test/sandbox-probe.ts <data dir>
import { readFileSync, readdirSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { pino } from 'pino';
import { ownerKey } from '../src/sessions/backends/owned-processes.js';
import { createProcessBackend } from '../src/sessions/backends/process-backend.js';
import { CHROMIUM } from './helpers.js';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: sandbox-probe.ts <data dir>');

/**
 * The browser and every process under it, with their pid namespaces. Found by parent pid: the
 * owner marker in the environment cannot be read from sandboxed children, which are not dumpable.
 */
function processTree(root: number): Array<{ pid: number; args: string[]; nspid: number[] }> {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      // exited meanwhile
    }
  }
  const out: Array<{ pid: number; args: string[]; nspid: number[] }> = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    queue.push(...(children.get(pid) ?? []));
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').filter(Boolean);
      // NSpid lists the pid in each pid namespace the process is in, outermost first.
      const nspid = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]?.split(/\s+/).map(Number) ?? [];
      out.push({ pid, args, nspid });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

const backend = createProcessBackend({ chromiumPath: CHROMIUM, dataDir, ownerKey: ownerKey(dataDir), displayBase: 400, log: pino({ level: 'silent' }) });
const session = await backend.launch({ id: 'sandbox-probe', headless: true, vnc: false, width: 800, height: 600, clientId: null, pool: false });
try {
  const browser = await chromium.connect(session.wsEndpoint);
  const page = await browser.newPage();
  await page.setContent('<title>sandboxed</title>');
  const title = await page.title();
  const procs = processTree(session.record.browser_pid as number);
  await browser.close();
  process.stdout.write(`${JSON.stringify({ uid: process.getuid?.(), title, browser: procs[0], procs })}\n`);
} finally {
  await session.close();
  await backend.close();
}
