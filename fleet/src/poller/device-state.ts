// Per-device health as the poller sees it: online → suspect → offline after N consecutive
// failures, back after M successes, degraded when the device answers but reports alerts or its
// payload is not running. A device that keeps changing between up and down is "flapping": it then
// needs twice the successes to come back and its up/down alerts are folded into one.
// (held by device-state.test.ts)
import { backoffDelay, type FleetStatus } from '../../../device/src/shared/index.js';

export type DeviceStatus = 'online' | 'suspect' | 'offline' | 'degraded' | 'unknown';
export type FailureKind = 'no_answer' | 'http_error' | 'bad_payload';

export type PollResult =
  | { ok: true; status: FleetStatus; durationMs: number; /** the answer as received, kept for the store */ text?: string }
  | { ok: false; kind: FailureKind; message: string; durationMs: number };

export interface DeviceHealth {
  status: DeviceStatus;
  reason: string | null;
  failures: number;
  successes: number;
  lastSeen: number | null;
  lastPollAt: number | null;
  lastDurationMs: number | null;
  lastStatus: FleetStatus | null;
  lastStatusText: string | null;
  lastError: { kind: FailureKind; message: string } | null;
  /** Times of up↔down changes in the last hour. */
  flips: number[];
  flapping: boolean;
}

export interface StateRules {
  failuresToOffline: number;
  successesToOnline: number;
  flapWindowMs?: number;
  flapThreshold?: number;
}

export interface Transition {
  from: DeviceStatus;
  to: DeviceStatus;
  reason: string | null;
}

export function initialHealth(): DeviceHealth {
  return {
    status: 'unknown',
    reason: 'not polled yet',
    failures: 0,
    successes: 0,
    lastSeen: null,
    lastPollAt: null,
    lastDurationMs: null,
    lastStatus: null,
    lastStatusText: null,
    lastError: null,
    flips: [],
    flapping: false,
  };
}

const isDown = (s: DeviceStatus) => s === 'offline';

/** Why an answering device is degraded, or null when it is healthy. */
export function degradation(status: FleetStatus): string | null {
  const parts: string[] = [];
  if (status.payload && status.payload.state !== 'running') parts.push(`payload ${status.payload.name} is ${status.payload.state.replace('_', ' ')}`);
  for (const a of status.alerts) if (a.id !== 'payload') parts.push(a.message);
  return parts.length > 0 ? parts.join('; ') : null;
}

export function failureReason(kind: FailureKind, message: string): string {
  const label = kind === 'no_answer' ? 'no answer' : kind === 'http_error' ? 'HTTP error' : 'bad payload';
  return `${label}: ${message}`;
}

/** Applies one poll result. Mutates and returns the health, plus the transition if the status changed. */
export function applyResult(h: DeviceHealth, r: PollResult, rules: StateRules, now: number): Transition | null {
  const window = rules.flapWindowMs ?? 3_600_000;
  const threshold = rules.flapThreshold ?? 4;
  const from = h.status;
  h.lastPollAt = now;
  h.lastDurationMs = r.durationMs;
  let to: DeviceStatus = from;
  let reason = h.reason;
  if (r.ok) {
    h.successes += 1;
    h.failures = 0;
    h.lastSeen = now;
    h.lastStatus = r.status;
    h.lastStatusText = r.text ?? null;
    h.lastError = null;
    const degraded = degradation(r.status);
    const answering: DeviceStatus = degraded ? 'degraded' : 'online';
    const needed = rules.successesToOnline * (h.flapping ? 2 : 1);
    if (from === 'offline' && h.successes < needed) {
      to = 'offline';
      reason = `answering again, confirming (${h.successes}/${needed})`;
    } else {
      to = answering;
      reason = degraded;
    }
  } else {
    h.failures += 1;
    h.successes = 0;
    h.lastError = { kind: r.kind, message: r.message };
    reason = failureReason(r.kind, r.message);
    to = h.failures >= rules.failuresToOffline ? 'offline' : from === 'offline' ? 'offline' : 'suspect';
  }
  h.status = to;
  h.reason = reason;
  if (isDown(from) !== isDown(to) && from !== 'unknown') h.flips.push(now);
  h.flips = h.flips.filter((t) => now - t < window);
  h.flapping = h.flips.length >= threshold;
  return from === to ? null : { from, to, reason };
}

/**
 * When to poll next: the interval while answering; once offline, the interval doubled for each
 * failure past the one that took the device offline, up to backoffMaxMs.
 */
export function nextDelayMs(h: DeviceHealth, intervalMs: number, backoffMaxMs: number, rules: StateRules): number {
  if (h.status !== 'offline') return intervalMs;
  const beyond = Math.max(0, h.failures - rules.failuresToOffline);
  return backoffDelay(beyond + 1, { baseMs: intervalMs, maxMs: backoffMaxMs });
}
