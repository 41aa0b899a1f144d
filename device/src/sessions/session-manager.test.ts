// The session manager's policies, through a fake backend that launches nothing (test/fake-backend.ts)
// and a start page that drives no browser: capacity, client affinity, the warm pool, lifetimes and
// shutdown, in milliseconds. Time is vitest's fake clock (setTimeout and Date); what happens on its
// own (a slot freed, the pool refilled) is waited for as a condition, never a sleep. What needs a
// real browser stays in sessions.int.test.ts and capacity.int.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StartUrlFailedError } from '../shared/errors.js';
import { fakeSessionBackend, type FakeBackend } from '../../test/fake-backend.js';
import { deviceConfig, tempDir } from '../../test/helpers.js';
import { createSessionManager, type EndReason, type Session, type SessionManager } from './session-manager.js';
import type { StartPage } from './start-page.js';

interface Harness {
  manager: SessionManager;
  backend: FakeBackend;
  ended: Array<{ id: string; reason: EndReason }>;
  created: Array<{ id: string; source: string }>;
  /** queued:<protocol>, refused:<protocol>:<code>, timeout:<protocol>, in order. */
  admission: string[];
  poolFailures: number;
  pages: string[];
  dataDir: string;
}

const dirs: Array<{ remove: () => void }> = [];
const managers: SessionManager[] = [];

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
});
afterEach(async () => {
  for (const m of managers.splice(0)) await m.close();
  vi.useRealTimers();
  for (const d of dirs.splice(0)) d.remove();
});

/** A manager over a fake backend; pools are empty unless asked for, and the cron sweep never fires (tests call reapNow). */
async function harness(env: Record<string, string> = {}, opts: { slots?: number; pressure?: () => string | null } = {}): Promise<Harness> {
  const dir = tempDir('outpost-manager-');
  dirs.push(dir);
  const backend = fakeSessionBackend(opts);
  const h: Harness = { manager: undefined as never, backend, ended: [], created: [], admission: [], poolFailures: 0, pages: [], dataDir: dir.path };
  const startPage: StartPage = {
    open: async () => undefined,
    async goto(s, url, wait) {
      h.pages.push(url);
      if (url.includes('unreachable')) throw new StartUrlFailedError(url, wait, 'net::ERR_CONNECTION_REFUSED');
    },
    close: async () => undefined,
  };
  h.manager = createSessionManager({
    config: deviceConfig({
      OUTPOST_DATA_DIR: dir.path,
      OUTPOST_POOL_HEADLESS: '0',
      OUTPOST_POOL_VNC: '0',
      OUTPOST_CLEANUP_SCHEDULE: '0 0 1 1 *',
      ...env,
    }),
    backend,
    log: pino({ level: 'silent' }),
    startPage,
    ...(opts.pressure ? { pressure: opts.pressure, pressureRetryAfterS: 5 } : {}),
    events: {
      created: (s, source) => h.created.push({ id: s.id, source }),
      ended: (s, reason) => h.ended.push({ id: s.id, reason }),
      poolLaunchFailed: () => (h.poolFailures += 1),
      queued: (p) => h.admission.push(`queued:${p}`),
      refused: (p, code) => h.admission.push(`refused:${p}:${code}`),
      queueTimedOut: (p) => h.admission.push(`timeout:${p}`),
    },
  });
  managers.push(h.manager);
  await h.manager.start();
  return h;
}

/** Lets promises and real I/O (state.json writes) run until `cond` holds; fake time does not move. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 5000; i += 1) {
    if (cond()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const ids = (sessions: Session[]) => sessions.map((s) => s.id);
const errorOf = (p: Promise<unknown>) => p.then(() => null, (err: unknown) => err as { code: string; statusCode: number; headers: Record<string, string>; message: string });

describe('capacity policies', () => {
  it('reject: refuses with 429 capacity_exceeded and retry-after 5, and admits again once a slot is freed', async () => {
    const { manager, backend } = await harness({ OUTPOST_MAX_SESSIONS: '2', OUTPOST_CAPACITY_POLICY: 'reject' });
    const a = (await manager.create({})).session;
    await manager.create({});
    const err = await errorOf(manager.create({}));
    expect(err).toMatchObject({ code: 'capacity_exceeded', statusCode: 429, headers: { 'retry-after': '5' } });
    expect(err!.message).toMatch(/all 2 session slots are in use \(OUTPOST_CAPACITY_POLICY=reject\)/);
    expect(backend.launched).toHaveLength(2);
    await manager.remove(a.id);
    expect((await manager.create({})).created).toBe(true);
    expect(manager.capacityView()).toMatchObject({ max_sessions: 2, active: 2, starting: 0, queued: 0 });
  });

  it('counts the backend’s own limit (docker host ports) when it is lower than max_sessions', async () => {
    const { manager } = await harness({ OUTPOST_MAX_SESSIONS: '5', OUTPOST_CAPACITY_POLICY: 'reject' }, { slots: 1 });
    await manager.create({});
    expect(manager.maxSlots()).toBe(1);
    expect(await errorOf(manager.create({}))).toMatchObject({ code: 'capacity_exceeded' });
  });

  it('evicts a warm pool session, ready before starting, before refusing a client', async () => {
    const { manager, backend, ended } = await harness({ OUTPOST_MAX_SESSIONS: '2', OUTPOST_POOL_HEADLESS: '1', OUTPOST_POOL_VNC: '1', OUTPOST_CAPACITY_POLICY: 'reject' });
    await until(() => manager.poolView().headless.ready === 1 && manager.poolView().vnc.ready === 1, 'the pool to fill');
    const vncPool = manager.all().find((s) => s.pool && s.kind === 'vnc')!;
    // Sizes other than the pool's cannot claim: the pool gives way, one session at a time.
    const first = (await manager.create({ width: 800, height: 600 })).session;
    expect(first.fromPool).toBe(false);
    expect(ended).toHaveLength(1);
    expect(ended[0]!.reason).toBe('evicted');
    const second = (await manager.create({ vnc: true, width: 800, height: 600 })).session;
    expect(second.vnc).toBe(true);
    expect(ended.map((e) => e.reason)).toEqual(['evicted', 'evicted']);
    expect(ended.map((e) => e.id)).toContain(vncPool.id);
    expect(manager.poolView()).toMatchObject({ headless: { ready: 0, starting: 0 }, vnc: { ready: 0, starting: 0 } });
    expect(backend.browsers.size).toBe(2);
    expect(await errorOf(manager.create({}))).toMatchObject({ code: 'capacity_exceeded' });
  });

  it('queue: a create waits for a free slot and gets it when a session ends, in the order they came', async () => {
    const { manager } = await harness({ OUTPOST_MAX_SESSIONS: '1', OUTPOST_CAPACITY_POLICY: 'queue', OUTPOST_QUEUE_LENGTH: '2' });
    const a = (await manager.create({})).session;
    const order: string[] = [];
    const first = manager.create({ labels: { n: '1' } }).then((r) => (order.push('1'), r));
    const second = manager.create({ labels: { n: '2' } }).then((r) => (order.push('2'), r));
    await until(() => manager.capacityView().queued === 2, 'both creates to queue');
    await manager.remove(a.id);
    const one = (await first).session;
    expect(one.labels).toEqual({ n: '1' });
    expect(manager.capacityView().queued).toBe(1);
    await manager.remove(one.id);
    expect((await second).session.labels).toEqual({ n: '2' });
    expect(order).toEqual(['1', '2']);
  });

  it('queue: refuses with 429 past the queue length', async () => {
    const { manager } = await harness({ OUTPOST_MAX_SESSIONS: '1', OUTPOST_CAPACITY_POLICY: 'queue', OUTPOST_QUEUE_LENGTH: '1' });
    const a = (await manager.create({})).session;
    const queued = manager.create({});
    await until(() => manager.capacityView().queued === 1, 'the create to queue');
    const full = await errorOf(manager.create({}));
    expect(full).toMatchObject({ code: 'capacity_exceeded', statusCode: 429, headers: { 'retry-after': '5' } });
    expect(full!.message).toMatch(/the queue is full \(1 waiting\)/);
    await manager.remove(a.id);
    expect((await queued).created).toBe(true);
  });

  it('queue: gives up with 503 queue_timeout after OUTPOST_QUEUE_TIMEOUT_S, and leaves the queue', async () => {
    const { manager } = await harness({ OUTPOST_MAX_SESSIONS: '1', OUTPOST_CAPACITY_POLICY: 'queue', OUTPOST_QUEUE_TIMEOUT_S: '3' });
    await manager.create({});
    const timedOut = errorOf(manager.create({}));
    await until(() => manager.capacityView().queued === 1, 'the create to queue');
    await vi.advanceTimersByTimeAsync(2999);
    expect(manager.capacityView().queued).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(await timedOut).toMatchObject({ code: 'queue_timeout', statusCode: 503, message: 'no session slot became free within 3s' });
    expect(manager.capacityView().queued).toBe(0);
  });

  it('recycle: ends the least recently used ready session, oldest use first', async () => {
    const { manager, backend, ended } = await harness({ OUTPOST_MAX_SESSIONS: '2', OUTPOST_CAPACITY_POLICY: 'recycle' });
    const a = (await manager.create({})).session;
    vi.advanceTimersByTime(10);
    const b = (await manager.create({})).session;
    vi.advanceTimersByTime(10);
    manager.touch(a.id, {});
    vi.advanceTimersByTime(10);
    const c = (await manager.create({})).session;
    expect(ended).toEqual([{ id: b.id, reason: 'recycled' }]);
    expect(backend.browsers.has(b.id)).toBe(false);
    vi.advanceTimersByTime(10);
    await manager.create({});
    expect(ended.map((e) => e.id)).toEqual([b.id, a.id]);
    expect(ids(manager.list())).toContain(c.id);
  });

  it('recycle: answers 503 no_capacity while every slot is still starting, and recycles nothing that starts', async () => {
    const { manager, backend } = await harness({ OUTPOST_MAX_SESSIONS: '1', OUTPOST_CAPACITY_POLICY: 'recycle' });
    backend.hold();
    const starting = manager.create({ client_id: 'third' });
    await until(() => backend.held === 1, 'the launch to start');
    const err = await errorOf(manager.create({ client_id: 'fourth' }));
    expect(err).toMatchObject({ code: 'no_capacity', statusCode: 503, headers: { 'retry-after': '10' } });
    expect(err!.message).toMatch(/busy starting; nothing can be recycled/);
    backend.release();
    expect((await starting).session.status).toBe('ready');
  });

  it('a per-call policy overrides the configured one (the compatibility routes recycle)', async () => {
    const { manager, ended } = await harness({ OUTPOST_MAX_SESSIONS: '1', OUTPOST_CAPACITY_POLICY: 'reject' });
    const a = (await manager.create({})).session;
    await manager.create({}, { policy: 'recycle' });
    expect(ended).toEqual([{ id: a.id, reason: 'recycled' }]);
  });
});

describe('admission by host pressure', () => {
  const overloaded = () => {
    const state = { why: null as string | null };
    return { state, pressure: () => state.why };
  };

  it('reject and recycle: 429 host_overloaded with Retry-After while the host is over, even with a warm session to claim', async () => {
    for (const policy of ['reject', 'recycle']) {
      const { state, pressure } = overloaded();
      const { manager, admission } = await harness({ OUTPOST_CAPACITY_POLICY: policy, OUTPOST_POOL_HEADLESS: '1' }, { pressure });
      await until(() => manager.poolView().headless.ready === 1, 'the pool to fill');
      state.why = "the host's CPU is 97% busy, over OUTPOST_ADMIT_MAX_CPU_PCT=80";
      const err = await errorOf(manager.create({}, { protocol: 'cdp' }));
      expect(err).toMatchObject({ code: 'host_overloaded', statusCode: 429, headers: { 'retry-after': '5' } });
      expect(err!.message).toMatch(/OUTPOST_ADMIT_MAX_CPU_PCT=80/);
      expect(admission).toEqual(['refused:cdp:host_overloaded']);
      expect(manager.list()).toEqual([]);
      state.why = null;
      expect((await manager.create({}, { protocol: 'cdp' })).session.protocol).toBe('cdp');
    }
  });

  it('queue: a create waits while the host is over and goes on when it is relieved; the pool does not refill meanwhile', async () => {
    const { state, pressure } = overloaded();
    const { manager, backend, admission } = await harness({ OUTPOST_CAPACITY_POLICY: 'queue', OUTPOST_POOL_HEADLESS: '1', OUTPOST_QUEUE_TIMEOUT_S: '30' }, { pressure });
    await until(() => manager.poolView().headless.ready === 1, 'the pool to fill');
    state.why = 'over';
    let done = false;
    const waiting = manager.create({ client_id: 'patient' }, { protocol: 'playwright' }).then((r) => ((done = true), r));
    await until(() => manager.capacityView().queued === 1, 'the create to queue');
    expect(admission).toEqual(['queued:playwright']);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(done).toBe(false);
    const launches = backend.launched.length;
    state.why = null;
    manager.relieved();
    const { session } = await waiting;
    expect(session).toMatchObject({ clientId: 'patient', fromPool: true, protocol: 'playwright' });
    expect(manager.capacityView().queued).toBe(0);
    // Claimed, then refilled once the host is under again.
    await until(() => manager.poolView().headless.ready === 1, 'the pool to refill');
    expect(backend.launched.length).toBe(launches + 1);
  });

  it('queue: gives up with 503 queue_timeout when the host stays over for OUTPOST_QUEUE_TIMEOUT_S', async () => {
    const { state, pressure } = overloaded();
    const { manager, admission } = await harness({ OUTPOST_CAPACITY_POLICY: 'queue', OUTPOST_QUEUE_TIMEOUT_S: '3' }, { pressure });
    state.why = 'over';
    const err = errorOf(manager.create({}));
    await until(() => manager.capacityView().queued === 1, 'the create to queue');
    await vi.advanceTimersByTimeAsync(3000);
    expect(await err).toMatchObject({ code: 'queue_timeout', statusCode: 503 });
    expect(admission).toEqual(['queued:api', 'timeout:api']);
    expect(manager.capacityView().queued).toBe(0);
  });

  it('does not refill the warm pool while the host is over', async () => {
    const { state, pressure } = overloaded();
    state.why = 'over';
    const { manager, backend } = await harness({ OUTPOST_POOL_HEADLESS: '1' }, { pressure });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(backend.launched).toHaveLength(0);
    state.why = null;
    manager.relieved();
    await until(() => manager.poolView().headless.ready === 1, 'the pool to fill once relieved');
  });
});

describe('persistent profiles', () => {
  it('start cold on the profile directory, never from the pool, and one live session per profile', async () => {
    const { manager, backend } = await harness({ OUTPOST_POOL_HEADLESS: '1', OUTPOST_MAX_SESSIONS: '4' });
    await until(() => manager.poolView().headless.ready === 1, 'the pool to fill');
    const { session } = await manager.create({ profile: 'shop' });
    expect(session).toMatchObject({ profile: 'shop', fromPool: false });
    expect(backend.launched.at(-1)).toMatchObject({ id: session.id, profileDir: expect.stringMatching(/\/profiles\/shop$/) });
    expect(manager.poolView().headless.ready).toBe(1);
    expect(await errorOf(manager.create({ profile: 'shop' }))).toMatchObject({ code: 'profile_in_use', statusCode: 409 });
    // Other profiles and plain sessions are not held up by it.
    expect((await manager.create({ profile: 'bank' })).session.profile).toBe('bank');
    expect((await manager.create({})).session.profile).toBeNull();
  });

  it('lets concurrent creates of one profile make one session, and waits for one that is closing', async () => {
    const { manager } = await harness({ OUTPOST_MAX_SESSIONS: '4' });
    const both = await Promise.allSettled([manager.create({ profile: 'shop' }), manager.create({ profile: 'shop' })]);
    expect(both.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const live = (both.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{ session: Session }>).value.session;
    const ending = manager.remove(live.id);
    const next = await manager.create({ profile: 'shop' });
    await ending;
    expect(next.session.id).not.toBe(live.id);
  });

  it('gives the same client its profile session back, and replaces it for another profile', async () => {
    const { manager } = await harness();
    const a = await manager.create({ client_id: 'c', profile: 'shop' });
    expect((await manager.create({ client_id: 'c', profile: 'shop' })).session.id).toBe(a.session.id);
    const b = await manager.create({ client_id: 'c', profile: 'bank' });
    expect(b).toMatchObject({ created: true, session: { profile: 'bank', clientId: 'c' } });
    expect(manager.list().map((s) => s.id)).toEqual([b.session.id]);
  });
});

describe('client affinity', () => {
  it('gives the same client its live session back without launching', async () => {
    const { manager, backend, created } = await harness();
    const first = await manager.create({ client_id: 'alice', labels: { a: '1' } });
    vi.advanceTimersByTime(1000);
    const again = await manager.create({ client_id: 'alice', labels: { a: '2' } });
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ created: false, session: { id: first.session.id, labels: { a: '2' } } });
    expect(again.session.lastSeenAt).toBe(Date.now());
    expect(backend.launched).toHaveLength(1);
    expect(created.map((c) => c.source)).toEqual(['cold', 'reused']);
    expect(manager.findByClient('alice')?.id).toBe(first.session.id);
    const bob = await manager.create({ client_id: 'bob' });
    expect(bob.session.id).not.toBe(first.session.id);
  });

  it('replaces the client session when the size or kind differs', async () => {
    const { manager, backend, ended } = await harness();
    const first = (await manager.create({ client_id: 'alice' })).session;
    const resized = await manager.create({ client_id: 'alice', width: 1024, height: 768 });
    expect(resized.created).toBe(true);
    expect(resized.session).toMatchObject({ width: 1024, height: 768, clientId: 'alice' });
    expect(ended).toEqual([{ id: first.id, reason: 'replaced' }]);
    expect(backend.browsers.has(first.id)).toBe(false);
    const vnc = await manager.create({ client_id: 'alice', vnc: true, width: 1024, height: 768 });
    expect(vnc.session.kind).toBe('vnc');
    expect(ids(manager.list())).toEqual([vnc.session.id]);
  });

  it('serialises concurrent creates of one client into one session', async () => {
    const { manager, backend } = await harness();
    backend.hold();
    const results = Promise.all([1, 2, 3].map(() => manager.create({ client_id: 'carol' })));
    await until(() => backend.held === 1, 'the first launch');
    backend.hold(false);
    backend.release();
    const all = await results;
    expect(new Set(all.map((r) => r.session.id)).size).toBe(1);
    expect(all.map((r) => r.created)).toEqual([true, false, false]);
    expect(backend.launched).toHaveLength(1);
  });

  it('a client whose session is starting waits for it, and gets a new one if it failed', async () => {
    const { manager, backend } = await harness();
    backend.failNext(1);
    const failed = errorOf(manager.create({ client_id: 'dave' }));
    const retried = manager.create({ client_id: 'dave' });
    expect(await failed).toMatchObject({ code: 'launch_failed', statusCode: 502 });
    expect((await retried).created).toBe(true);
    expect(backend.launched).toHaveLength(2);
  });
});

describe('warm pool', () => {
  it('claims a ready pool session without launching, then refills the pool', async () => {
    const { manager, backend, created } = await harness({ OUTPOST_POOL_HEADLESS: '1', OUTPOST_MAX_SESSIONS: '4' });
    await until(() => manager.poolView().headless.ready === 1, 'the pool to fill');
    const warm = manager.all().find((s) => s.pool)!;
    const launchesBefore = backend.launched.length;
    const res = await manager.create({ client_id: 'warm', start_url: 'http://example.test/start', ttl_s: 60 });
    expect(res.session).toMatchObject({ id: warm.id, fromPool: true, pool: false, clientId: 'warm', ttlS: 60 });
    expect(created).toEqual([{ id: warm.id, source: 'pool' }]);
    expect(manager.list()).toHaveLength(1);
    await until(() => manager.poolView().headless.ready === 1, 'the pool to refill');
    // The one launch since is the refill, a pool session, never the claimed one.
    expect(backend.launched.slice(launchesBefore).map((l) => [l.pool, l.id === warm.id])).toEqual([[true, false]]);
    expect(manager.summary()).toEqual({ active: 1, capacity: 4, pool: { headless: { ready: 1, target: 1 }, vnc: { ready: 0, target: 0 } } });
  });

  it('starts cold when the size differs from the pool size', async () => {
    const { manager, created } = await harness({ OUTPOST_POOL_VNC: '1' });
    await until(() => manager.poolView().vnc.ready === 1, 'the pool to fill');
    const res = await manager.create({ vnc: true, width: 800, height: 600 });
    expect(res.session.fromPool).toBe(false);
    expect(created.map((c) => c.source)).toEqual(['cold']);
    expect(manager.poolView().vnc.ready).toBe(1);
  });

  it('backs off 1 s, 2 s, 4 s after failed launches, and fills once a launch succeeds', async () => {
    const { manager, backend } = await harness({ OUTPOST_POOL_HEADLESS: '1' });
    await until(() => manager.poolView().headless.ready === 1, 'the pool to fill');
    backend.failNext(3);
    // The claim refills at once: launch 2 fails, then the retries wait 1 s and 2 s and fail too.
    const client = (await manager.create({})).session;
    let launches = 2;
    for (const backoffMs of [1000, 2000]) {
      await until(() => backend.launched.length === launches && manager.poolView().headless.starting === 0, `launch ${launches} to fail`);
      await vi.advanceTimersByTimeAsync(backoffMs - 1);
      expect(backend.launched).toHaveLength(launches);
      await vi.advanceTimersByTimeAsync(1);
      launches += 1;
      await until(() => backend.launched.length === launches, `the retry after ${backoffMs} ms`);
    }
    await until(() => manager.poolView().headless.starting === 0, 'the third failure');
    await vi.advanceTimersByTimeAsync(3999);
    // A slot freed while the pool backs off does not refill it early.
    await manager.remove(client.id);
    expect(backend.launched).toHaveLength(4);
    await vi.advanceTimersByTimeAsync(1);
    await until(() => manager.poolView().headless.ready === 1, 'the pool to refill');
    expect(backend.launched).toHaveLength(5);
  });

  it('counts failed pool launches and never lets them reach a client', async () => {
    const h = await harness({ OUTPOST_POOL_HEADLESS: '1' });
    await until(() => h.poolFailures === 0 && h.manager.poolView().headless.ready === 1, 'the pool to fill');
    h.backend.failNext(1);
    await h.manager.create({});
    await until(() => h.poolFailures === 1, 'the failure event');
    expect(h.ended.at(-1)?.reason).toBe('crashed');
    expect(h.manager.list()).toHaveLength(1);
  });

  it('does not refill while a create waits for a slot', async () => {
    const { manager, backend } = await harness({ OUTPOST_MAX_SESSIONS: '1', OUTPOST_POOL_HEADLESS: '1', OUTPOST_CAPACITY_POLICY: 'queue' });
    await until(() => manager.poolView().headless.ready === 1, 'the pool to fill');
    const a = (await manager.create({ width: 800, height: 600 })).session;
    const queued = manager.create({ width: 800, height: 600 });
    await until(() => manager.capacityView().queued === 1, 'the create to queue');
    await manager.remove(a.id);
    const b = (await queued).session;
    expect(b.status).toBe('ready');
    expect(backend.launched.filter((l) => l.pool)).toHaveLength(1);
  });

  it('never ends pool sessions as idle or by TTL', async () => {
    const { manager } = await harness({ OUTPOST_POOL_HEADLESS: '1', OUTPOST_SESSION_IDLE_S: '5', OUTPOST_SESSION_TTL_S: '10' });
    await until(() => manager.poolView().headless.ready === 1, 'the pool to fill');
    const pool = ids(manager.all());
    vi.advanceTimersByTime(3600_000);
    manager.reapNow();
    expect(ids(manager.all())).toEqual(pool);
    expect(manager.expiresAt(manager.get(pool[0]!))).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('lifetimes', () => {
  it('ends a session when its TTL passes, with its browser', async () => {
    const { manager, backend, ended } = await harness({ OUTPOST_SESSION_TTL_S: '30' });
    const s = (await manager.create({ ttl_s: 20, idle_s: 600 })).session;
    expect(manager.expiresAt(s) - s.createdAt).toBe(20_000);
    vi.advanceTimersByTime(19_999);
    manager.reapNow();
    expect(s.status).toBe('ready');
    vi.advanceTimersByTime(1);
    manager.reapNow();
    await until(() => ended.length === 1, 'the session to end');
    expect(ended).toEqual([{ id: s.id, reason: 'ttl' }]);
    expect(backend.browsers.size).toBe(0);
    expect(() => manager.get(s.id)).toThrow(/no session with id/);
  });

  it('ends an idle session; touch, traffic and an open connection keep one alive', async () => {
    const { manager, ended } = await harness();
    const idle = (await manager.create({ idle_s: 10 })).session;
    const touched = (await manager.create({ idle_s: 10 })).session;
    const busy = (await manager.create({ idle_s: 10 })).session;
    const connected = (await manager.create({ idle_s: 10 })).session;
    const detach = manager.attach(connected, { close: () => undefined });
    for (let i = 0; i < 4; i += 1) {
      vi.advanceTimersByTime(5_000);
      manager.touch(touched.id, {});
      manager.noteActivity(busy);
      manager.reapNow();
    }
    await until(() => ended.length === 1, 'the idle session to end');
    expect(ended).toEqual([{ id: idle.id, reason: 'idle' }]);
    detach();
    vi.advanceTimersByTime(10_000);
    manager.reapNow();
    await until(() => ended.length === 4, 'the rest to end');
    expect(ended.map((e) => e.reason)).toEqual(['idle', 'idle', 'idle', 'idle']);
  });

  it('closes open connections of a session that ends', async () => {
    const { manager } = await harness();
    const s = (await manager.create({})).session;
    const closes: Array<[number, string]> = [];
    manager.attach(s, { close: (code, reason) => closes.push([code, reason]) });
    await manager.remove(s.id);
    expect(closes).toEqual([[1001, 'session deleted']]);
  });

  it('touch extends the TTL to a full TTL from now, up to the ceiling, and refuses pool and ended sessions', async () => {
    const { manager } = await harness({ OUTPOST_SESSION_TTL_S: '30', OUTPOST_SESSION_MAX_TTL_S: '60', OUTPOST_POOL_HEADLESS: '1' });
    const s = (await manager.create({ ttl_s: 10, width: 800, height: 600 })).session;
    vi.advanceTimersByTime(5_000);
    manager.touch(s.id, { ttl_s: 30 });
    expect(s.ttlDeadline - s.createdAt).toBe(35_000);
    vi.advanceTimersByTime(20_000);
    manager.touch(s.id, { ttl_s: 60 });
    expect(s.ttlDeadline - s.createdAt).toBe(60_000);
    await until(() => manager.poolView().headless.ready === 1, 'the pool to fill');
    const pooled = manager.all().find((x) => x.pool)!;
    expect(() => manager.touch(pooled.id, {})).toThrow(/no session with id/);
    await manager.remove(s.id);
    expect(() => manager.touch(s.id, {})).toThrow(/no session with id/);
  });

  it('ends a session whose browser goes away, and frees its slot', async () => {
    const { manager, backend, ended } = await harness({ OUTPOST_MAX_SESSIONS: '1', OUTPOST_CAPACITY_POLICY: 'reject' });
    const s = (await manager.create({})).session;
    backend.browsers.get(s.id)!.crash('browser exited (SIGKILL)');
    await until(() => ended.length === 1, 'the crash to end the session');
    expect(ended).toEqual([{ id: s.id, reason: 'crashed' }]);
    expect((await manager.create({})).created).toBe(true);
  });

  it('answers 502 launch_failed when the browser does not start, and frees the slot', async () => {
    const { manager, backend } = await harness({ OUTPOST_MAX_SESSIONS: '1', OUTPOST_CAPACITY_POLICY: 'reject' });
    backend.failNext(1, 'chromium exited (1) before it was ready\nmore detail');
    const err = await errorOf(manager.create({}));
    expect(err).toMatchObject({ code: 'launch_failed', statusCode: 502, message: 'the browser did not start: chromium exited (1) before it was ready' });
    expect((await manager.create({})).created).toBe(true);
  });

  it('ends a session whose start_url fails, cold or claimed from the pool', async () => {
    const { manager, ended, pages } = await harness({ OUTPOST_POOL_HEADLESS: '1' });
    await until(() => manager.poolView().headless.ready === 1, 'the pool to fill');
    const claimed = await errorOf(manager.create({ start_url: 'http://unreachable.test/' }));
    expect(claimed).toMatchObject({ code: 'start_url_failed', statusCode: 502 });
    const cold = await errorOf(manager.create({ start_url: 'http://unreachable.test/', width: 800, height: 600 }));
    expect(cold).toMatchObject({ code: 'start_url_failed' });
    expect(ended.filter((e) => e.reason === 'start_url_failed')).toHaveLength(2);
    expect(pages).toHaveLength(2);
    expect(manager.list()).toEqual([]);
  });

  it('refuses headless VNC sessions with 400', async () => {
    const { manager } = await harness();
    expect(await errorOf(manager.create({ vnc: true, headless: true }))).toMatchObject({ code: 'bad_request', statusCode: 400 });
  });
});

describe('shutdown', () => {
  it('ends every session, pool included, fails queued creates, refuses new ones and leaves state.json empty', async () => {
    const { manager, backend, ended, dataDir } = await harness({ OUTPOST_MAX_SESSIONS: '2', OUTPOST_POOL_HEADLESS: '1', OUTPOST_CAPACITY_POLICY: 'queue' });
    await until(() => manager.poolView().headless.ready === 1, 'the pool to fill');
    await manager.create({ client_id: 'a', width: 800, height: 600 });
    await manager.create({ client_id: 'b', width: 800, height: 600 });
    const queued = errorOf(manager.create({}));
    await until(() => manager.capacityView().queued === 1, 'the create to queue');
    const state = JSON.parse(readFileSync(join(dataDir, 'state.json'), 'utf8'));
    expect(state.sessions).toHaveLength(2);
    await manager.close();
    expect(await queued).toMatchObject({ code: 'shutting_down', statusCode: 503 });
    expect(ended.filter((e) => e.reason === 'shutdown')).toHaveLength(2);
    expect(backend.browsers.size).toBe(0);
    expect(backend.closed).toBe(true);
    expect(manager.all()).toEqual([]);
    expect(await errorOf(manager.create({}))).toMatchObject({ code: 'shutting_down', statusCode: 503 });
    expect(JSON.parse(readFileSync(join(dataDir, 'state.json'), 'utf8')).sessions).toEqual([]);
    await manager.close();
  });

  it('ends a session still launching once its launch settles', async () => {
    const { manager, backend, ended } = await harness();
    backend.hold();
    const starting = errorOf(manager.create({}));
    await until(() => backend.held === 1, 'the launch to start');
    const closing = manager.close();
    backend.release();
    await closing;
    expect(await starting).toMatchObject({ code: 'session_ended', statusCode: 409 });
    expect(ended.map((e) => e.reason)).toEqual(['shutdown']);
    expect(backend.browsers.size).toBe(0);
  });
});
