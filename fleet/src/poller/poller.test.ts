// The poller's cycle with a stand-in status client (the HTTP side has its own tests in
// devices/device-http.test.ts; here only the order and the limit matter).
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createDeviceRegistry } from '../devices/device-registry.js';
import type { PollResult } from './device-state.js';
import { createPoller, phasedStart } from './poller.js';
import type { StatusClient } from './status-client.js';

function fleetOf(n: number) {
  const registry = createDeviceRegistry();
  registry.sync(Array.from({ length: n }, (_, i) => ({ id: `kiosk-${i}`, name: `kiosk-${i}`, address: `127.0.0.${i + 1}`, port: 8080, groups: [], labels: {} })));
  return registry;
}

/** A client whose polls wait until the test releases them, counting how many are open at once. */
function heldClient() {
  const waiting: Array<() => void> = [];
  const state = { open: 0, maxOpen: 0, order: [] as string[] };
  const client: Pick<StatusClient, 'poll'> = {
    poll(device) {
      state.order.push(device.address);
      state.open += 1;
      state.maxOpen = Math.max(state.maxOpen, state.open);
      return new Promise<PollResult>((resolve) =>
        waiting.push(() => {
          state.open -= 1;
          resolve({ ok: false, kind: 'no_answer', message: 'held', durationMs: 1 });
        }),
      );
    },
  };
  return { client, state, releaseAll: () => waiting.splice(0).forEach((release) => release()), waiting };
}

const options = { rules: { failuresToOffline: 3, successesToOnline: 2 }, intervalMs: 15_000, jitterPct: 0, backoffMaxMs: 300_000, log: pino({ level: 'silent' }), onResult() {}, onCycle() {} };

describe('poller', () => {
  it('never has more than `concurrency` polls in flight, and polls every due device once', async () => {
    const registry = fleetOf(10);
    const held = heldClient();
    const poller = createPoller({ ...options, registry, client: held.client, concurrency: 3 });
    const cycle = poller.runCycle();
    for (let released = 0; released < 10; ) {
      await expect.poll(() => held.waiting.length).toBeGreaterThan(0);
      released += held.waiting.length;
      held.releaseAll();
    }
    const stats = await cycle;
    expect(held.state.maxOpen).toBe(3);
    expect(held.state.order).toHaveLength(10);
    expect(new Set(held.state.order).size).toBe(10);
    expect(stats).toMatchObject({ polled: 10, ok: 0, failed: 10 });
  });

  it('polls the devices that were slowest last time first', async () => {
    const registry = fleetOf(4);
    registry.get('kiosk-2')!.health.lastDurationMs = 3000;
    registry.get('kiosk-0')!.health.lastDurationMs = 10;
    const held = heldClient();
    const poller = createPoller({ ...options, registry, client: held.client, concurrency: 1 });
    const cycle = poller.runCycle();
    for (let released = 0; released < 4; ) {
      await expect.poll(() => held.waiting.length).toBeGreaterThan(0);
      released += held.waiting.length;
      held.releaseAll();
    }
    await cycle;
    expect(held.state.order.slice(0, 2)).toEqual(['127.0.0.3', '127.0.0.1']);
  });
});

describe('phased cycles (monitors sharing a fleet)', () => {
  const I = 15_000;
  it('starts at the slot of its phase nearest an interval after the last start', () => {
    // Phase 1/3 of 15 s: slots at 5 s, 20 s, 35 s, … on the wall clock.
    expect(phasedStart(30_000, 16_000, I, 1 / 3)).toBe(35_000);
    expect(phasedStart(27_000, 16_000, I, 1 / 3)).toBe(20_000);
    expect(phasedStart(15_000, 1_000, I, 0)).toBe(15_000);
  });
  it('starts at once when the slot has passed (a cycle that ran long)', () => {
    expect(phasedStart(30_000, 36_000, I, 1 / 3)).toBe(36_000);
  });
  it('spreads three monitors a third of the interval apart', () => {
    const starts = [0, 1, 2].map((rank) => phasedStart(1_000_000, 990_000, I, rank / 3) % I);
    expect(starts.sort((a, b) => a - b)).toEqual([0, 5_000, 10_000]);
  });
});
