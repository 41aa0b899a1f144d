// What happened to session requests, per protocol (how the client asked: backends/session-backend.ts
// SessionProtocol): created, claimed from the warm pool, queued, rejected by reason, timed out in
// the queue, ended by reason. Prometheus counters for /metrics, and the same counts since the
// start for /api/fleet/status (sessions.counters), which the fleet dashboard shows per device.
import { Counter, Histogram, type Registry } from 'prom-client';
import type { ProtocolCounts } from '../shared/contract.js';
import type { SessionProtocol } from './backends/session-backend.js';
import type { SessionEvents } from './session-manager.js';

export interface SessionCounters {
  events: SessionEvents;
  /** Counts since the start, for protocols seen so far. */
  view(): Record<string, ProtocolCounts>;
}

export function createSessionCounters(registry: Registry): SessionCounters {
  const counter = (name: string, help: string, labelNames: string[]) => new Counter({ name, help, labelNames, registers: [registry] });
  const created = counter('outpost_sessions_created_total', 'Sessions handed out, by kind, source (pool claim, cold start, reused by client id) and protocol', ['kind', 'source', 'protocol']);
  const ended = counter('outpost_sessions_ended_total', 'Sessions ended, by reason and protocol', ['reason', 'protocol']);
  const queued = counter('outpost_sessions_queued_total', 'Creates that had to wait for a slot or for the host to come under its limits, by protocol', ['protocol']);
  const rejected = counter('outpost_sessions_rejected_total', 'Creates turned away (capacity, host pressure, drain, shutdown), by protocol and reason', ['protocol', 'reason']);
  const timedOut = counter('outpost_sessions_queue_timeouts_total', 'Creates that waited OUTPOST_QUEUE_TIMEOUT_S in the queue and gave up, by protocol', ['protocol']);
  const launchSeconds = new Histogram({
    name: 'outpost_session_start_seconds',
    help: 'Cold start time of a session (launch to ready)',
    labelNames: ['kind'],
    buckets: [0.25, 0.5, 1, 2, 4, 8, 16, 32],
    registers: [registry],
  });
  const poolFailures = counter('outpost_pool_launch_failures_total', 'Warm pool launches that failed', ['kind']);

  const counts = new Map<SessionProtocol, ProtocolCounts>();
  const of = (p: SessionProtocol): ProtocolCounts => {
    let c = counts.get(p);
    if (!c) counts.set(p, (c = { created: 0, claimed_from_pool: 0, queued: 0, rejected: {}, queue_timeouts: 0, ended: {} }));
    return c;
  };

  return {
    events: {
      created(s, source, ms) {
        created.inc({ kind: s.kind, source, protocol: s.protocol });
        if (ms !== null) launchSeconds.observe({ kind: s.kind }, ms / 1000);
        const c = of(s.protocol);
        c.created += 1;
        if (source === 'pool') c.claimed_from_pool += 1;
      },
      ended(s, reason) {
        // The warm pool's own sessions (evicted, shut down) were never asked for by anyone.
        if (s.pool) return void ended.inc({ reason, protocol: 'pool' });
        ended.inc({ reason, protocol: s.protocol });
        const c = of(s.protocol);
        c.ended[reason] = (c.ended[reason] ?? 0) + 1;
      },
      poolLaunchFailed: (kind) => poolFailures.inc({ kind }),
      queued(protocol) {
        queued.inc({ protocol });
        of(protocol).queued += 1;
      },
      refused(protocol, code) {
        rejected.inc({ protocol, reason: code });
        const c = of(protocol);
        c.rejected[code] = (c.rejected[code] ?? 0) + 1;
      },
      queueTimedOut(protocol) {
        timedOut.inc({ protocol });
        of(protocol).queue_timeouts += 1;
      },
    },
    view: () => Object.fromEntries(counts),
  };
}
