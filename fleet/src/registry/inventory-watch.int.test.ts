// The live device list with an Ansible inventory: changes to the file and to group_vars/ are read
// again through the real ansible-inventory, a change Ansible refuses keeps the previous list, and
// close() stops a run that is under way. inventory-watch.test.ts covers the rest with a fleet.yaml.
import { readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../../device/test/index.js';
import { InventoryError, type InventoryDevice } from './inventory.js';
import { createInventorySource, type InventoryLog, type InventorySource, type InventorySourceOptions } from './inventory-watch.js';

const twoHosts = '[lisbon]\nlisbon-01 ansible_host=10.66.0.11\nlisbon-02 ansible_host=10.66.0.12\n';
const threeHosts = `${twoHosts}[porto]\nporto-01 ansible_host=10.66.0.21 outpost_port=8090\n`;

let dir: string;
let file: string;
let source: InventorySource | undefined;
let changes: InventoryDevice[][];
let errors: InventoryError[];
let logged: { level: string; obj: object; msg: string }[];

const log: InventoryLog = {
  info: (obj, msg) => logged.push({ level: 'info', obj, msg }),
  warn: (obj, msg) => logged.push({ level: 'warn', obj, msg }),
  error: (obj, msg) => logged.push({ level: 'error', obj, msg }),
};

async function start(over: Partial<InventorySourceOptions> = {}): Promise<InventorySource> {
  source = await createInventorySource({
    file,
    debounceMs: 100,
    log,
    onChange: (devices) => void changes.push(devices),
    onError: (err) => void errors.push(err),
    ...over,
  });
  return source;
}

const until = (condition: () => boolean, what: string) => waitFor(condition, { what, intervalMs: 20, timeoutMs: 30_000 });
const ids = (devices: InventoryDevice[] | undefined) => devices?.map((d) => d.id);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'outpost-inventory-watch-'));
  file = join(dir, 'hosts.ini');
  await writeFile(file, twoHosts);
  changes = [];
  errors = [];
  logged = [];
});

afterEach(async () => {
  await source?.close();
  source = undefined;
  await rm(dir, { recursive: true, force: true });
});

describe('createInventorySource with an Ansible inventory', () => {
  it('reads it with ansible-inventory at start and again when the file changes', async () => {
    const inv = await start();
    expect(ids(inv.current())).toEqual(['lisbon-01', 'lisbon-02']);
    expect(logged).toContainEqual({ level: 'info', obj: { file, kind: 'ansible', devices: 2 }, msg: 'inventory loaded' });

    await writeFile(file, threeHosts);
    await until(() => changes.length === 1, 'onChange');
    expect(inv.current()).toEqual([
      { id: 'lisbon-01', name: 'lisbon-01', address: '10.66.0.11', port: 8080, groups: ['lisbon'], labels: {} },
      { id: 'lisbon-02', name: 'lisbon-02', address: '10.66.0.12', port: 8080, groups: ['lisbon'], labels: {} },
      { id: 'porto-01', name: 'porto-01', address: '10.66.0.21', port: 8090, groups: ['porto'], labels: {} },
    ]);
  });

  it('keeps the previous list when ansible-inventory refuses the change, and recovers on the next good save', async () => {
    const inv = await start();
    const before = inv.current();
    await writeFile(file, '[lisbon]\nlisbon-01\n[porto\n');
    await until(() => errors.length === 1, 'onError');
    expect(errors[0]?.message).toMatch(new RegExp(`^${file}: ansible-inventory failed \\(exit status \\d+\\):\\nERROR! `));
    expect(inv.current()).toBe(before);
    expect(changes).toEqual([]);

    await writeFile(file, threeHosts);
    await until(() => changes.length === 1, 'onChange');
    expect(ids(inv.current())).toEqual(['lisbon-01', 'lisbon-02', 'porto-01']);
  });

  it('reads it again when group_vars/ appears next to it and when a file in it changes', async () => {
    const inv = await start();
    await mkdir(join(dir, 'group_vars'));
    await writeFile(join(dir, 'group_vars', 'lisbon.yml'), 'outpost_port: 9100\n');
    await until(() => inv.current()[0]?.port === 9100, 'the port from group_vars/lisbon.yml');

    await writeFile(join(dir, 'group_vars', 'lisbon.yml'), 'outpost_port: 9200\n');
    await until(() => inv.current()[0]?.port === 9200, 'the edited port');
  });

  it('close() stops a run of ansible-inventory that is under way', async () => {
    // An inventory script that answers at start, then hangs once a flag file exists.
    file = join(dir, 'inventory.sh');
    const flag = join(dir, 'hang');
    await writeFile(
      file,
      `#!/bin/sh\nif [ -e "${flag}" ]; then echo $$ > "${dir}/script.pid"; sleep 300 & wait; fi\necho '{"lisbon": {"hosts": ["lisbon-01"]}, "_meta": {"hostvars": {}}}'\n`,
    );
    await chmod(file, 0o755);
    // A run can only end through close(): longer than the test's own timeout.
    const inv = await start({ ansibleTimeoutMs: 600_000 });
    expect(ids(inv.current())).toEqual(['lisbon-01']);

    await writeFile(flag, '');
    const reloading = inv.reload();
    await until(() => readPid(join(dir, 'script.pid')) !== undefined, 'the script to hang');
    const pid = readPid(join(dir, 'script.pid')) as number;
    await inv.close();
    await reloading;
    await waitFor(() => !isRunning(pid), { what: 'the script to end' });
    expect(errors).toEqual([]);
    expect(ids(inv.current())).toEqual(['lisbon-01']);
  });
});

function readPid(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8'));
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Alive and not a zombie (in a container nothing may reap the orphans of a killed group). */
function isRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
