// Slots and policies on their own, with plain numbers for sessions (model: browserless's
// limiter.spec.ts). The manager's use of them is in session-manager.test.ts.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCapacity, type CapacityOptions } from './capacity.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function slots(limit: number, over: Partial<CapacityOptions> = {}) {
  const held: string[] = [];
  const capacity = createCapacity({
    limit: () => limit,
    used: () => held.length,
    queueLength: 2,
    queueTimeoutS: 5,
    evictSpare: async () => false,
    recycleLeastRecentlyUsed: async () => false,
    ...over,
  });
  const take = (name: string, policy: 'reject' | 'queue' | 'recycle' = 'queue') => capacity.acquire(policy, () => (held.push(name), name));
  const give = (name: string) => {
    held.splice(held.indexOf(name), 1);
    capacity.release();
  };
  return { capacity, held, take, give };
}

describe('capacity', () => {
  it('waits to admit until a slot is given back, first come first served', async () => {
    const { capacity, held, take, give } = slots(1);
    await take('a');
    const b = take('b');
    const c = take('c');
    await vi.advanceTimersByTimeAsync(0);
    expect(capacity.queued).toBe(2);
    expect(capacity.contended).toBe(true);
    give('a');
    expect(await b).toBe('b');
    expect(held).toEqual(['b']);
    give('b');
    expect(await c).toBe('c');
    expect(capacity.contended).toBe(false);
  });

  it('keeps a woken slot for the waiter it was promised to', async () => {
    const { capacity, held, take, give } = slots(1);
    await take('a');
    const b = take('b');
    await vi.advanceTimersByTimeAsync(0);
    give('a');
    // Given back but not yet taken by b: the slot is reserved, a newcomer does not get it.
    expect(capacity.hasFreeSlot()).toBe(false);
    await expect(take('x', 'reject')).rejects.toMatchObject({ code: 'capacity_exceeded' });
    expect(await b).toBe('b');
    expect(held).toEqual(['b']);
  });

  it('times a waiter out and forgets it', async () => {
    const { capacity, take } = slots(1);
    await take('a');
    const b = take('b').catch((err: unknown) => err);
    await vi.advanceTimersByTimeAsync(5000);
    expect(await b).toMatchObject({ code: 'queue_timeout' });
    expect(capacity.queued).toBe(0);
  });

  it('asks for a spare before any policy, and recycles only under recycle', async () => {
    const calls: string[] = [];
    const held = ['a'];
    const capacity = createCapacity({
      limit: () => 1,
      used: () => held.length,
      queueLength: 1,
      queueTimeoutS: 5,
      evictSpare: async () => (calls.push('spare'), false),
      recycleLeastRecentlyUsed: async () => (calls.push('recycle'), held.pop() !== undefined),
    });
    await expect(capacity.acquire('reject', () => 'x')).rejects.toMatchObject({ code: 'capacity_exceeded' });
    expect(calls).toEqual(['spare']);
    expect(await capacity.acquire('recycle', () => 'y')).toBe('y');
    expect(calls).toEqual(['spare', 'spare', 'recycle']);
  });

  it('fails waiters and refuses newcomers once closed', async () => {
    const { capacity, take } = slots(1);
    await take('a');
    const b = take('b').catch((err: unknown) => err);
    await vi.advanceTimersByTimeAsync(0);
    capacity.close();
    expect(await b).toMatchObject({ code: 'shutting_down' });
    await expect(take('c')).rejects.toMatchObject({ code: 'shutting_down' });
  });
});
