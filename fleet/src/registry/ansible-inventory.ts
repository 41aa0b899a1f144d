// Runs Ansible's own `ansible-inventory --list` on an inventory (a file or a directory, in any
// format Ansible reads) and returns its JSON, so the monitor never re-implements Ansible's rules.
//
// How it runs, and why:
// - execve, no shell; its own process group, killed whole on timeout or abort (a script
//   inventory may start children);
// - stdin closed and no controlling terminal, so a vault password prompt gets end-of-file at once
//   instead of waiting; a vault-encrypted file without ANSIBLE_VAULT_PASSWORD_FILE fails, saying
//   so. A `!vault` value comes back still encrypted ({__ansible_vault: …}), with or without one;
// - in a temporary directory that is also ANSIBLE_HOME and ANSIBLE_LOCAL_TEMP (the service's home
//   is not writable) and its working directory (so no stray ansible.cfg is picked up; set
//   ANSIBLE_CONFIG or ANSIBLE_HOME in the monitor's environment to use one), removed afterwards;
// - a source no plugin can parse is an error (by default Ansible only warns and lists no hosts,
//   which would empty the fleet); the list goes to a file, so nothing a plugin prints can spoil it.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InventoryError } from './inventory-error.js';

/** What `ansible-inventory --list` prints: groups by name, and every host's merged variables. */
export interface AnsibleInventoryList {
  _meta?: { hostvars?: Record<string, Record<string, unknown>> };
  [group: string]: unknown;
}

export interface AnsibleInventoryResult {
  list: AnsibleInventoryList;
  /** Ansible's warnings, one line each. */
  warnings: string[];
}

export interface AnsibleInventoryOptions {
  /** Default 45 s: under the fleet app's 60 s plugin timeout, in which the first read happens. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** The environment to start from (default process.env); the settings above go on top. */
  env?: NodeJS.ProcessEnv;
}

export const DEFAULT_ANSIBLE_TIMEOUT_MS = 45_000;
const MAX_STDERR = 256 * 1024;
const VAULT_TROUBLE = /vault (?:secrets?|password)/i;

export async function runAnsibleInventory(file: string, opts: AnsibleInventoryOptions = {}): Promise<AnsibleInventoryResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_ANSIBLE_TIMEOUT_MS;
  const temp = await mkdtemp(join(tmpdir(), 'outpost-ansible-'));
  try {
    const output = join(temp, 'inventory.json');
    const base = opts.env ?? process.env;
    const env: NodeJS.ProcessEnv = {
      ...base,
      ANSIBLE_HOME: base.ANSIBLE_HOME ?? temp,
      ANSIBLE_LOCAL_TEMP: temp,
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_FORCE_COLOR: '0',
      ANSIBLE_ASK_VAULT_PASS: 'false',
      ANSIBLE_DEPRECATION_WARNINGS: 'false',
      ANSIBLE_INVENTORY_UNPARSED_FAILED: 'true',
      ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED: 'true',
    };
    let run: RunResult;
    try {
      run = await runCommand('ansible-inventory', ['--list', '-i', resolve(file), '--output', output], { cwd: temp, env, timeoutMs, signal: opts.signal });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new InventoryError(
          'ansible-inventory was not found on PATH: reading an Ansible inventory needs Ansible on this host ' +
            '(Debian: apt install ansible-core), or use a fleet.yaml (the outpost_fleet role renders one)',
          { file },
          { cause: err },
        );
      }
      throw new InventoryError(`cannot run ansible-inventory: ${(err as Error).message}`, { file }, { cause: err });
    }
    const messages = ansibleMessages(run.stderr);
    if (run.timedOut) {
      throw new InventoryError(`ansible-inventory did not finish within ${timeoutMs / 1000} s and was stopped (for a fleet this large, use a fleet.yaml)`, { file });
    }
    if (opts.signal?.aborted) throw new InventoryError('reading the inventory was cancelled', { file });
    if (run.code !== 0) {
      const hint = messages.some((m) => VAULT_TROUBLE.test(m))
        ? '\nThe inventory has vault-encrypted files: give the monitor their password (ANSIBLE_VAULT_PASSWORD_FILE in its environment), or keep them out of what it reads.'
        : '';
      // The ERROR line first: it says what failed; the warnings before it say why.
      const ordered = [...messages.filter((m) => m.startsWith('ERROR')), ...messages.filter((m) => !m.startsWith('ERROR'))];
      const said = ordered.length > 0 ? ordered.join('\n') : '(it printed nothing)';
      throw new InventoryError(`ansible-inventory failed (${run.code === null ? `signal ${run.signal}` : `exit status ${run.code}`}):\n${said}${hint}`, { file });
    }
    let list: unknown;
    try {
      list = JSON.parse(await readFile(output, 'utf8'));
    } catch (err) {
      throw new InventoryError(`cannot read what ansible-inventory listed: ${(err as Error).message}`, { file }, { cause: err });
    }
    if (list === null || typeof list !== 'object' || Array.isArray(list)) {
      throw new InventoryError('ansible-inventory listed something other than a mapping of groups', { file });
    }
    return { list: list as AnsibleInventoryList, warnings: messages.filter((m) => !m.startsWith('ERROR')) };
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

/**
 * Ansible's messages one per line: it wraps them at 80 columns when not on a terminal, and a
 * message starts with a marker such as `[WARNING]:` or `ERROR!`.
 */
export function ansibleMessages(stderr: string): string[] {
  const messages: string[] = [];
  for (const raw of stderr.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (messages.length === 0 || /^(?:\[[A-Z ]+\]:?|ERROR!)/.test(line)) messages.push(line);
    else messages[messages.length - 1] += ` ${line}`;
  }
  return messages.map((m) => m.replace(/\s+/g, ' '));
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  timedOut: boolean;
}

function runCommand(
  command: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number; signal: AbortSignal | undefined },
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    // detached: a process group of its own (killed as one) and no controlling terminal.
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    let timedOut = false;
    const killGroup = (): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const onAbort = (): void => killGroup();
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, opts.timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    };
    if (opts.signal?.aborted) killGroup();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < MAX_STDERR) stderr += chunk;
    });
    child.once('error', (err) => {
      done();
      reject(err);
    });
    child.once('close', (code, signal) => {
      done();
      resolvePromise({ code, signal, stderr, timedOut });
    });
  });
}
