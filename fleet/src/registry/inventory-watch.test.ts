import { mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import type { Logger } from 'pino';
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import { InventoryError, type InventoryDevice } from './inventory.js';
import { createInventorySource, type InventoryLog, type InventorySource, type InventorySourceOptions } from './inventory-watch.js';

const DEBOUNCE_MS = 50;

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

function start(over: Partial<InventorySourceOptions> = {}): InventorySource {
  source = createInventorySource({
    file,
    debounceMs: DEBOUNCE_MS,
    log,
    onChange: (devices) => void changes.push(devices),
    onError: (err) => void errors.push(err),
    ...over,
  });
  return source;
}

async function until(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const ids = (devices: InventoryDevice[] | undefined) => devices?.map((d) => d.id);

/** Watchers and timers alive in this process (fs.watch handles close on the next loop turn). */
async function handles(): Promise<{ watchers: number; timers: number }> {
  await sleep(20);
  const info = process.getActiveResourcesInfo();
  return { watchers: info.filter((r) => r === 'FSEventWrap').length, timers: info.filter((r) => r === 'Timeout').length };
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'outpost-inventory-'));
  file = join(dir, 'hosts.ini');
  await writeFile(file, twoHosts);
  changes = [];
  errors = [];
  logged = [];
});

afterEach(async () => {
  source?.close();
  source = undefined;
  await rm(dir, { recursive: true, force: true });
});

describe('createInventorySource', () => {
  it('reads the file at start; current() is the list and onChange is not called for it', async () => {
    const inv = start();
    expect(ids(inv.current())).toEqual(['lisbon-01', 'lisbon-02']);
    expect(logged).toContainEqual({ level: 'info', obj: { file, devices: 2 }, msg: 'inventory loaded' });
    await sleep(DEBOUNCE_MS * 2);
    expect(changes).toEqual([]);
  });

  it('refuses to start on an invalid file, saying where', async () => {
    await writeFile(file, '[lisbon]\nlisbon-01 outpost_port=http\n');
    expect(() => start()).toThrow(InventoryError);
    expect(() => start()).toThrow(`${file}:2: host "lisbon-01": outpost_port must be an integer from 1 to 65535, got "http"`);
    expect(await handles()).toMatchObject({ watchers: 0 });
  });

  it('refuses to start on a missing file', () => {
    file = join(dir, 'missing.ini');
    expect(() => start()).toThrow(`${file}: the inventory file does not exist`);
  });

  it('picks up a rewritten file', async () => {
    const inv = start();
    await writeFile(file, threeHosts);
    await until(() => changes.length === 1, 'onChange');
    expect(ids(changes[0])).toEqual(['lisbon-01', 'lisbon-02', 'porto-01']);
    expect(inv.current()).toBe(changes[0]);
    expect(logged).toContainEqual(
      expect.objectContaining({ msg: 'inventory reloaded', obj: expect.objectContaining({ devices: 3, added: ['porto-01'], removed: [], changed: 0 }) }),
    );
  });

  it('picks up a file replaced by a rename, as editors and Ansible save', async () => {
    const inv = start();
    const temp = join(dir, '.hosts.ini.tmp');
    await writeFile(temp, '[porto]\nporto-01 ansible_host=10.66.0.21\n');
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
    const inv = start();
    const before = inv.current();
    await writeFile(file, '[lisbon]\nlisbon-01\n[porto:children]\nnowhere\n');
    await until(() => errors.length === 1, 'onError');
    expect(errors[0]).toBeInstanceOf(InventoryError);
    expect(errors[0]).toMatchObject({ file, line: 4 });
    expect(errors[0]?.message).toMatch(/undefined group "nowhere"/);
    expect(inv.current()).toBe(before);
    expect(changes).toEqual([]);

    await writeFile(file, threeHosts);
    await until(() => changes.length === 1, 'onChange');
    expect(ids(inv.current())).toEqual(['lisbon-01', 'lisbon-02', 'porto-01']);
  });

  it('reports a deleted file, keeps the list, and picks the file up when it comes back', async () => {
    const inv = start();
    await rm(file);
    await until(() => errors.length === 1, 'onError');
    expect(errors[0]?.message).toBe(`${file}: the inventory file does not exist`);
    expect(ids(inv.current())).toEqual(['lisbon-01', 'lisbon-02']);

    await writeFile(file, threeHosts);
    await until(() => changes.length === 1, 'onChange');
    expect(ids(inv.current())).toHaveLength(3);
  });

  it('turns a burst of writes into one reload of the last content', async () => {
    start({ debounceMs: 200 });
    for (let i = 1; i <= 5; i++) {
      await writeFile(file, `${twoHosts}[porto]\nporto-0${i}\n`);
      await sleep(10);
    }
    await until(() => changes.length === 1, 'onChange');
    await sleep(400);
    expect(changes).toHaveLength(1);
    expect(ids(changes[0])).toEqual(['lisbon-01', 'lisbon-02', 'porto-05']);
  });

  it('does not call onChange when the file changed but its devices did not', async () => {
    const inv = start();
    await writeFile(file, `# a comment\n${twoHosts}`);
    await inv.reload();
    expect(changes).toEqual([]);
    expect(logged).toContainEqual(expect.objectContaining({ msg: 'inventory re-read; devices unchanged' }));
  });

  it('reload() settles after the handlers ran and never rejects', async () => {
    const inv = start();
    await writeFile(file, threeHosts);
    await inv.reload();
    expect(ids(changes.at(-1))).toHaveLength(3);
    await writeFile(file, '[bad');
    await expect(inv.reload()).resolves.toBeUndefined();
    expect(errors.at(-1)?.line).toBe(1);
  });

  it('logs a handler that throws and keeps watching', async () => {
    const inv = start({
      onChange: () => {
        throw new Error('consumer bug');
      },
    });
    await writeFile(file, threeHosts);
    await until(() => logged.some((l) => l.msg === 'inventory onChange handler failed'), 'error log');
    expect(ids(inv.current())).toHaveLength(3);
  });

  it('follows a symlinked inventory whose target is edited in place', async () => {
    const target = join(dir, 'real.ini');
    await writeFile(target, twoHosts);
    file = join(dir, 'link.ini');
    await symlink(target, file);
    const inv = start();
    await writeFile(target, threeHosts);
    await until(() => changes.length === 1, 'onChange');
    expect(ids(inv.current())).toHaveLength(3);
  });

  it('reads YAML and fleet.yaml the same way, by extension', async () => {
    file = join(dir, 'fleet.yaml');
    await writeFile(file, 'devices:\n  - {id: lisbon-01, address: 10.66.0.11}\n');
    const inv = start();
    expect(inv.current()).toMatchObject([{ id: 'lisbon-01', address: '10.66.0.11', port: 8080 }]);
    await writeFile(file, 'defaults: {port: 9100}\ndevices:\n  - {id: lisbon-01, address: 10.66.0.11}\n');
    await until(() => changes.length === 1, 'onChange');
    expect(inv.current()[0]?.port).toBe(9100);
  });

  it('close() stops watching and leaves no watcher or timer behind', async () => {
    const baseline = await handles();
    const inv = start();
    expect((await handles()).watchers).toBe(baseline.watchers + 1);

    await writeFile(file, threeHosts); // leaves a debounce timer pending
    await sleep(DEBOUNCE_MS / 5);
    inv.close();
    inv.close(); // idempotent
    const after = await handles();
    expect(after.watchers).toBe(baseline.watchers);
    // At most: the baseline may include a timer of the test runner's that has fired since.
    expect(after.timers).toBeLessThanOrEqual(baseline.timers);

    await sleep(DEBOUNCE_MS * 3);
    await inv.reload();
    expect(changes).toEqual([]);
    expect(ids(inv.current())).toEqual(['lisbon-01', 'lisbon-02']);
  });

  it('takes pino and Fastify loggers', () => {
    expectTypeOf<Logger>().toMatchTypeOf<InventoryLog>();
    expectTypeOf<FastifyBaseLogger>().toMatchTypeOf<InventoryLog>();
  });
});
