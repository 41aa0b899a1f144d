// The live device list with a fleet.yaml, which needs no Ansible; inventory-watch.int.test.ts does
// the same with Ansible inventories and the real ansible-inventory.
import { mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import type { Logger } from 'pino';
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import { waitFor } from '../../../device/test/index.js';
import { InventoryError, type InventoryDevice } from './inventory.js';
import { createInventorySource, type InventoryLog, type InventorySource, type InventorySourceOptions } from './inventory-watch.js';

const DEBOUNCE_MS = 50;

const twoHosts = 'devices:\n  - {id: lisbon-01, address: 10.66.0.11}\n  - {id: lisbon-02, address: 10.66.0.12}\n';
const threeHosts = `${twoHosts}  - {id: porto-01, address: 10.66.0.21, port: 8090}\n`;

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
    debounceMs: DEBOUNCE_MS,
    log,
    onChange: (devices) => void changes.push(devices),
    onError: (err) => void errors.push(err),
    ...over,
  });
  return source;
}

const until = (condition: () => boolean, what: string) => waitFor(condition, { what, intervalMs: 10, timeoutMs: 5000 });
const ids = (devices: InventoryDevice[] | undefined) => devices?.map((d) => d.id);
const reads = () => logged.filter((l) => l.msg === 'inventory reloaded' || l.msg === 'inventory re-read; devices unchanged').length;

/** Watchers and timers alive in this process (a closed fs.watch handle goes on the next loop turn). */
async function handles(): Promise<{ watchers: number; timers: number }> {
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  const info = process.getActiveResourcesInfo();
  return { watchers: info.filter((r) => r === 'FSEventWrap').length, timers: info.filter((r) => r === 'Timeout').length };
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'outpost-inventory-'));
  file = join(dir, 'fleet.yaml');
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

describe('createInventorySource with a fleet.yaml', () => {
  it('reads the file at start; current() is the list and onChange is not called for it', async () => {
    const inv = await start();
    expect(ids(inv.current())).toEqual(['lisbon-01', 'lisbon-02']);
    expect(logged).toContainEqual({ level: 'info', obj: { file, kind: 'fleet.yaml', devices: 2 }, msg: 'inventory loaded' });
    await inv.reload();
    expect(changes).toEqual([]);
  });

  it('refuses to start on an invalid file, saying where, and leaves no watcher behind', async () => {
    const baseline = await handles();
    await writeFile(file, 'devices:\n  - id: lisbon-01\n    port: http\n');
    await expect(start()).rejects.toThrow(InventoryError);
    await expect(start()).rejects.toThrow(`${file}:3: host "lisbon-01": port must be an integer from 1 to 65535, got "http"`);
    expect((await handles()).watchers).toBe(baseline.watchers);
  });

  it('refuses to start on a missing file', async () => {
    file = join(dir, 'missing.yaml');
    await expect(start()).rejects.toThrow(`${file}: the inventory file does not exist`);
  });

  it('picks up a rewritten file', async () => {
    const inv = await start();
    await writeFile(file, threeHosts);
    await until(() => changes.length === 1, 'onChange');
    expect(ids(changes[0])).toEqual(['lisbon-01', 'lisbon-02', 'porto-01']);
    expect(inv.current()).toBe(changes[0]);
    expect(logged).toContainEqual(
      expect.objectContaining({ msg: 'inventory reloaded', obj: expect.objectContaining({ devices: 3, added: ['porto-01'], removed: [], changed: 0 }) }),
    );
  });

  it('picks up a file replaced by a rename, as editors and Ansible save', async () => {
    const inv = await start();
    const temp = join(dir, '.fleet.yaml.tmp');
    await writeFile(temp, 'devices:\n  - {id: porto-01, address: 10.66.0.21}\n');
    await rename(temp, file);
    await until(() => changes.length === 1, 'onChange');
    expect(ids(inv.current())).toEqual(['porto-01']);

    // Still watching after the replacement: a second save is seen too.
    await writeFile(temp, threeHosts);
    await rename(temp, file);
    await until(() => changes.length === 2, 'second onChange');
    expect(ids(inv.current())).toEqual(['lisbon-01', 'lisbon-02', 'porto-01']);
  });

  it('keeps the previous list when the file becomes invalid, and recovers on the next good save', async () => {
    const inv = await start();
    const before = inv.current();
    await writeFile(file, 'devices:\n  - {id: lisbon-01}\n  - {id: porto-01, adress: 10.66.0.21}\n');
    await until(() => errors.length === 1, 'onError');
    expect(errors[0]).toBeInstanceOf(InventoryError);
    expect(errors[0]).toMatchObject({ file, line: 3 });
    expect(errors[0]?.message).toMatch(/unknown key "adress"/);
    expect(inv.current()).toBe(before);
    expect(changes).toEqual([]);

    await writeFile(file, threeHosts);
    await until(() => changes.length === 1, 'onChange');
    expect(ids(inv.current())).toEqual(['lisbon-01', 'lisbon-02', 'porto-01']);
  });

  it('reports a deleted file, keeps the list, and picks the file up when it comes back', async () => {
    const inv = await start();
    await rm(file);
    await until(() => errors.length === 1, 'onError');
    expect(errors[0]?.message).toBe(`${file}: the inventory file does not exist`);
    expect(ids(inv.current())).toEqual(['lisbon-01', 'lisbon-02']);

    await writeFile(file, threeHosts);
    await until(() => changes.length === 1, 'onChange');
    expect(ids(inv.current())).toHaveLength(3);
  });

  it('turns a burst of writes into one read of the last content', async () => {
    const inv = await start({ debounceMs: 300 });
    for (let i = 1; i <= 5; i++) await writeFile(file, `${twoHosts}  - {id: porto-0${i}}\n`);
    await until(() => changes.length === 1, 'onChange');
    expect(ids(changes[0])).toEqual(['lisbon-01', 'lisbon-02', 'porto-05']);
    // Reads are queued in order: once this one is done, any read the burst caused has been too.
    await inv.reload();
    expect(reads()).toBe(2);
    expect(changes).toHaveLength(1);
  });

  it('does not call onChange when the file changed but its devices did not', async () => {
    const inv = await start();
    await writeFile(file, `# a comment\n${twoHosts}`);
    await inv.reload();
    expect(changes).toEqual([]);
    expect(logged).toContainEqual(expect.objectContaining({ msg: 'inventory re-read; devices unchanged' }));
  });

  it('reload() settles after the handlers ran and never rejects', async () => {
    const inv = await start();
    await writeFile(file, threeHosts);
    await inv.reload();
    expect(ids(changes.at(-1))).toHaveLength(3);
    await writeFile(file, 'devices:\n  - {id: a\n');
    await expect(inv.reload()).resolves.toBeUndefined();
    expect(errors.at(-1)?.message).toMatch(/invalid YAML/);
  });

  it('logs a handler that throws and keeps watching', async () => {
    const inv = await start({
      onChange: () => {
        throw new Error('consumer bug');
      },
    });
    await writeFile(file, threeHosts);
    await until(() => logged.some((l) => l.msg === 'inventory onChange handler failed'), 'error log');
    expect(ids(inv.current())).toHaveLength(3);
  });

  it('follows a symlinked inventory whose target is edited in place', async () => {
    const target = join(dir, 'real.yaml');
    await writeFile(target, twoHosts);
    file = join(dir, 'link.yaml');
    await symlink(target, file);
    const inv = await start();
    await writeFile(target, threeHosts);
    await until(() => changes.length === 1, 'onChange');
    expect(ids(inv.current())).toHaveLength(3);
  });

  it('close() stops watching and leaves no watcher or timer behind', async () => {
    const baseline = await handles();
    const inv = await start({ debounceMs: 1000 });
    expect((await handles()).watchers).toBe(baseline.watchers + 1);

    await writeFile(file, threeHosts); // leaves a debounce timer pending
    await until(() => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length > baseline.timers, 'the debounce timer');
    await inv.close();
    await inv.close(); // idempotent
    const after = await handles();
    expect(after.watchers).toBe(baseline.watchers);
    // At most: the baseline may include a timer of the test runner's that has fired since.
    expect(after.timers).toBeLessThanOrEqual(baseline.timers);

    await inv.reload();
    expect(changes).toEqual([]);
    expect(ids(inv.current())).toEqual(['lisbon-01', 'lisbon-02']);
  });

  it('takes pino and Fastify loggers', () => {
    expectTypeOf<Logger>().toMatchTypeOf<InventoryLog>();
    expectTypeOf<FastifyBaseLogger>().toMatchTypeOf<InventoryLog>();
  });
});
