// Fleet alerts (DESIGN.md, "Alerts"): derived from each device's state after every poll, deduped
// on a stable key, resolved when the condition clears (with a recovery message), reminded while
// open. The open set lives in the store (one open row per key) so a restart neither re-notifies nor
// forgets what is open; in memory it is what the rules read. Store writes go out in the order they
// were made, one after another: the poll path (evaluate, for every device of every cycle) does not
// wait for them, and a write that needs an earlier one's id (resolving an alert just opened) finds
// it set (alert-engine.cases.ts, "writes an alert opened and resolved at once in order"). The API's
// changes (acks, silences) wait for theirs.
import type { Log } from '../../../device/src/shared/index.js';
import type { Device } from '../devices/device-registry.js';
import type { FleetStore } from '../store/fleet-store.js';
import type { AlertRow } from './alert-tables.js';
import { AlertNotOpenError, SilenceNotFoundError } from './alert-errors.js';
import type { ChannelSet } from './channels/channel-set.js';
import type { Notification, NotificationKind } from './channels/types.js';
import { type AlertSubject, newSilenceWindow, type NewSilence, type SilenceRow, silencedBy } from './silences.js';

export type Severity = 'info' | 'warning' | 'critical';

export interface AlertRules {
  diskPct: number;
  memoryPct: number;
  temperatureC: number;
  reminderS: number;
}

interface Desired {
  rule: string;
  severity: Severity;
  title: string;
  message: string;
}

export interface AlertEngineOptions {
  store: FleetStore;
  channels: ChannelSet | null;
  rules: AlertRules;
  /** The version the fleet should run (config, or the stable channel's release); null: no drift rule. */
  targetVersion: () => string | null;
  deviceUrl: (deviceId: string) => string | null;
  log: Log;
  /** What silences match besides the alert itself: the device's groups and labels (registry). */
  deviceInfo?: (deviceId: string) => { groups: readonly string[]; labels: Readonly<Record<string, string>> } | null;
  now?: () => number;
}

export { AlertNotOpenError, SilenceNotFoundError };

/** Expired silences stay listed this long ("expired recently"); the store keeps them until pruned. */
export const EXPIRED_SILENCES_SHOWN_MS = 24 * 3600_000;

const pct = (used: number, total: number) => (total > 0 ? (used / total) * 100 : 0);

/** What should be open for this device right now. Null: no fresh data, leave data-driven alerts as they are. */
export function desiredAlerts(d: Device, rules: AlertRules, target: string | null): { always: Map<string, Desired>; fromData: Map<string, Desired> | null } {
  const always = new Map<string, Desired>();
  const h = d.health;
  if (h.status === 'offline') {
    always.set(`offline:${d.id}`, { rule: 'device_offline', severity: 'critical', title: `${d.name} is offline`, message: h.reason ?? 'no answer' });
  }
  if (h.flapping) {
    always.set(`flapping:${d.id}`, {
      rule: 'device_flapping',
      severity: 'warning',
      title: `${d.name} keeps going offline and back`,
      message: `${h.flips.length} changes in the last hour; up/down notifications are held back while it flaps`,
    });
  }
  const fresh = (h.status === 'online' || h.status === 'degraded') && h.lastStatus;
  if (!fresh || !h.lastStatus) return { always, fromData: null };
  const s = h.lastStatus;
  const fromData = new Map<string, Desired>();
  const reported = new Set(s.alerts.map((a) => a.id));
  for (const a of s.alerts) {
    fromData.set(`device:${d.id}:${a.id}`, { rule: 'device_alert', severity: a.severity, title: `${d.name}: ${a.message}`, message: `reported by the device since ${a.since}` });
  }
  for (const disk of s.host.disks) {
    const p = pct(disk.used, disk.size);
    if (p >= rules.diskPct && !reported.has(`disk:${disk.mount}`)) {
      fromData.set(`disk:${d.id}:${disk.mount}`, { rule: 'disk', severity: p >= 97 ? 'critical' : 'warning', title: `${d.name}: disk ${disk.mount} is ${p.toFixed(0)}% full`, message: `threshold ${rules.diskPct}%` });
    }
  }
  const mem = pct(s.host.memory.used, s.host.memory.total);
  if (mem >= rules.memoryPct && !reported.has('memory')) {
    fromData.set(`memory:${d.id}`, { rule: 'memory', severity: 'warning', title: `${d.name}: memory is ${mem.toFixed(0)}% used`, message: `threshold ${rules.memoryPct}%` });
  }
  const temp = s.host.temperature_c;
  if (temp !== null && temp >= rules.temperatureC && !reported.has('temperature')) {
    fromData.set(`temperature:${d.id}`, { rule: 'temperature', severity: 'warning', title: `${d.name}: CPU at ${temp.toFixed(0)} °C`, message: `threshold ${rules.temperatureC} °C` });
  }
  if (s.payload && s.payload.state !== 'running' && !reported.has('payload')) {
    fromData.set(`payload:${d.id}`, { rule: 'payload', severity: 'critical', title: `${d.name}: payload ${s.payload.name} is ${s.payload.state.replace('_', ' ')}`, message: 'the host workload is not running' });
  }
  const last = s.appliance.update.last_result;
  if ((last === 'rolled_back' || last === 'failed') && !reported.has('update')) {
    fromData.set(`update:${d.id}`, {
      rule: 'update',
      severity: 'warning',
      title: `${d.name}: the last update ${last === 'rolled_back' ? 'was rolled back' : 'failed'}`,
      message: `running ${s.appliance.version}${s.appliance.update.previous_version ? `, previous ${s.appliance.update.previous_version}` : ''}`,
    });
  }
  if (target && s.appliance.version !== target) {
    fromData.set(`version_drift:${d.id}`, { rule: 'version_drift', severity: 'warning', title: `${d.name} runs ${s.appliance.version}, not ${target}`, message: `the fleet target is ${target}` });
  }
  return { always, fromData };
}

const DATA_PREFIXES = ['device:', 'disk:', 'memory:', 'temperature:', 'payload:', 'update:', 'version_drift:'];
const UP_DOWN_RULES = new Set(['device_offline']);

export async function createAlertEngine(opts: AlertEngineOptions) {
  const { store, log } = opts;
  const now = opts.now ?? Date.now;
  const open = new Map<string, AlertRow>();
  const byDevice = new Map<string, Set<string>>();
  const pending = new Set<Promise<unknown>>();
  const names = new Map<string, string>();
  let reminder: NodeJS.Timeout | undefined;
  const [initialSilences, initialOpen] = await Promise.all([store.silences(0), store.openAlerts()]);
  let silences: SilenceRow[] = initialSilences;
  // Alerts whose first message a silence held back: it goes out when no silence matches any more
  // (Alertmanager notifies an alert it never sent once its silence ends). In memory only: after a
  // restart such an alert gets its reminders instead.
  const held = new Set<string>();

  for (const a of initialOpen) index(a);

  let writes: Promise<unknown> = Promise.resolve();
  const settle = () => undefined;
  /** Runs fn after every store write made before it. */
  function queued<R>(fn: () => Promise<R>): Promise<R> {
    const p = writes.then(fn);
    writes = p.then(settle, settle);
    return p;
  }
  /** A write nobody waits for: a failure is logged (the alert stays as memory has it until a restart). */
  function later(alert: string, fn: () => Promise<unknown>): void {
    queued(fn).catch((err: unknown) => log.error({ err, alert }, 'cannot write the alert to the store'));
  }

  function subject(a: AlertRow): AlertSubject {
    const info = a.device_id ? opts.deviceInfo?.(a.device_id) : null;
    return { device_id: a.device_id, rule: a.rule, severity: a.severity, groups: info?.groups ?? [], labels: info?.labels ?? {} };
  }

  const silencedNow = (a: AlertRow): number[] => silencedBy(silences, subject(a), now());

  /** Sends the first message of alerts a silence held back and no silence holds any more. */
  function releaseHeld(): void {
    for (const key of [...held]) {
      const a = open.get(key);
      if (!a) {
        held.delete(key);
      } else if (silencedNow(a).length === 0) {
        held.delete(key);
        notify(a, 'open', false);
      }
    }
  }

  function index(a: AlertRow): void {
    open.set(a.key, a);
    if (a.device_id) {
      let set = byDevice.get(a.device_id);
      if (!set) byDevice.set(a.device_id, (set = new Set()));
      set.add(a.key);
    }
  }

  function unindex(a: AlertRow): void {
    open.delete(a.key);
    if (a.device_id) byDevice.get(a.device_id)?.delete(a.key);
  }

  function notify(a: AlertRow, kind: NotificationKind, flapping: boolean): void {
    if (!opts.channels) return;
    // While a device flaps, its up/down alerts are recorded but not sent; the flapping alert is.
    if (flapping && UP_DOWN_RULES.has(a.rule)) return;
    // Silenced: nothing at all is sent. A "resolved" goes only to people who were told it opened
    // (Alertmanager's rule too), so an alert that opened and cleared under a silence stays quiet.
    if (silencedNow(a).length > 0) {
      if (kind === 'open') held.add(a.key);
      return;
    }
    if (kind === 'resolved' && a.last_notified_at === null) return;
    const at = now();
    const n: Notification = {
      kind,
      alertId: a.key,
      deviceId: a.device_id,
      deviceName: a.device_id ? (names.get(a.device_id) ?? a.device_id) : null,
      rule: a.rule,
      severity: a.severity,
      title: kind === 'resolved' && a.rule === 'device_offline' ? a.title.replace(/is offline$/, 'is back online') : a.title,
      message: a.message,
      since: new Date(a.opened_at).toISOString(),
      at: new Date(at).toISOString(),
      url: a.device_id ? opts.deviceUrl(a.device_id) : null,
    };
    // The open row in memory too: remind() reads it (before, reminders went out on every tick
    // once the first was due, and /api/alerts showed open alerts as never notified).
    a.last_notified_at = at;
    a.notify_count += 1;
    later(a.key, () => store.markNotified(a.id, at));
    const p = opts.channels
      .send(n)
      .then((results) => {
        const ts = now();
        for (const r of results) {
          later(a.key, () => store.recordNotification({ alert_id: a.id, kind, channel: r.channel, ts, ok: r.ok ? 1 : 0, attempts: r.attempts, error: r.error }));
        }
      })
      .catch((err: unknown) => log.error({ err, alert: a.key }, 'notification failed'))
      .finally(() => pending.delete(p));
    pending.add(p);
  }

  function openOne(key: string, deviceId: string | null, d: Desired, flapping: boolean): void {
    const existing = open.get(key);
    if (existing) {
      if (existing.severity !== d.severity || existing.title !== d.title || existing.message !== d.message) {
        Object.assign(existing, { severity: d.severity, title: d.title, message: d.message });
        later(key, () => store.updateAlert(existing));
      }
      return;
    }
    const row: AlertRow = {
      id: 0,
      key,
      device_id: deviceId,
      rule: d.rule,
      severity: d.severity,
      title: d.title,
      message: d.message,
      opened_at: now(),
      resolved_at: null,
      last_notified_at: null,
      notify_count: 0,
      acked_at: null,
      acked_by: null,
    };
    // The id comes with the insert; writes queued after it (resolve, notified) read it then.
    later(key, async () => {
      row.id = await store.openAlert(row);
    });
    index(row);
    log.info({ alert: key, severity: d.severity }, d.title);
    notify(row, 'open', flapping);
  }

  function resolveOne(a: AlertRow, flapping: boolean): void {
    const at = (a.resolved_at = now());
    later(a.key, () => store.resolveAlert(a.id, at));
    unindex(a);
    held.delete(a.key);
    log.info({ alert: a.key }, `resolved: ${a.title}`);
    notify(a, 'resolved', flapping);
  }

  return {
    /** Re-evaluate one device after a poll. */
    evaluate(d: Device): void {
      names.set(d.id, d.name);
      const { always, fromData } = desiredAlerts(d, opts.rules, opts.targetVersion());
      const flapping = d.health.flapping;
      for (const [key, want] of always) openOne(key, d.id, want, flapping);
      if (fromData) for (const [key, want] of fromData) openOne(key, d.id, want, flapping);
      const keys = byDevice.get(d.id);
      if (!keys) return;
      for (const key of [...keys]) {
        const a = open.get(key);
        if (!a) continue;
        const dataDriven = DATA_PREFIXES.some((p) => key.startsWith(p));
        const ownAlways = key.startsWith('offline:') || key.startsWith('flapping:');
        // Keys this evaluation does not own (raised from update reports, rollouts) stay as they are.
        if (!dataDriven && !ownAlways) continue;
        const still = always.has(key) || (dataDriven ? fromData === null || fromData.has(key) : false);
        if (!still) resolveOne(a, flapping && !key.startsWith('flapping:'));
      }
    },
    /** A device left the inventory: its alerts close. */
    forgetDevice(deviceId: string): void {
      for (const key of [...(byDevice.get(deviceId) ?? [])]) {
        const a = open.get(key);
        if (a) resolveOne(a, false);
      }
      byDevice.delete(deviceId);
    },
    /** Alerts not tied to a polled device (update reports, rollouts). */
    raise(key: string, deviceId: string | null, d: Desired): void {
      openOne(key, deviceId, d, false);
    },
    clear(key: string): void {
      const a = open.get(key);
      if (a) resolveOne(a, false);
    },
    remind(): void {
      releaseHeld();
      const t = now();
      for (const a of open.values()) {
        // Acknowledged: someone is on it; silenced or held: notify() would send nothing anyway.
        if (a.severity === 'info' || a.acked_at !== null || held.has(a.key)) continue;
        if ((a.last_notified_at ?? a.opened_at) + opts.rules.reminderS * 1000 <= t) notify(a, 'reminder', false);
      }
    },
    startReminders(everyMs = 30_000): void {
      reminder = setInterval(() => this.remind(), everyMs);
      reminder.unref();
    },
    open: () => [...open.values()].sort((a, b) => b.opened_at - a.opened_at),
    /** Ids of the active silences that mute this alert (none for a resolved one). */
    silencedBy: (a: AlertRow): number[] => (a.resolved_at === null ? silencedNow(a) : []),
    /** Stops the alert's reminders; it stays open. Acknowledging again keeps the first who and when. */
    async ack(key: string, by: string): Promise<AlertRow> {
      const a = open.get(key);
      if (!a) throw new AlertNotOpenError(key);
      if (a.acked_at === null) {
        const at = (a.acked_at = now());
        a.acked_by = by;
        await queued(() => store.ackAlert(a.id, at, by));
      }
      return a;
    },
    async unack(key: string): Promise<AlertRow> {
      const a = open.get(key);
      if (!a) throw new AlertNotOpenError(key);
      a.acked_at = null;
      a.acked_by = null;
      await queued(() => store.ackAlert(a.id, null, null));
      return a;
    },
    /** Active and planned silences, and those that ended within EXPIRED_SILENCES_SHOWN_MS. */
    silences(): SilenceRow[] {
      const since = now() - EXPIRED_SILENCES_SHOWN_MS;
      silences = silences.filter((x) => x.ends_at > since);
      return [...silences];
    },
    /** Throws SilenceInputError on bad matchers or window. */
    async createSilence(input: NewSilence, createdBy: string): Promise<SilenceRow> {
      const t = now();
      const window = newSilenceWindow(input, t);
      const row: SilenceRow = { id: 0, matchers: input.matchers, ...window, comment: input.comment.trim(), created_by: createdBy, created_at: t };
      row.id = await queued(() => store.insertSilence(row));
      silences.push(row);
      log.info({ silence: row.id, matchers: row.matchers, starts_at: row.starts_at, ends_at: row.ends_at, by: createdBy }, 'silence created');
      return row;
    },
    /** Ends a silence now (a planned one never starts); alerts it held back are sent at once. */
    async expireSilence(id: number): Promise<SilenceRow> {
      const row = silences.find((x) => x.id === id);
      if (!row) throw new SilenceNotFoundError(id);
      const t = now();
      if (row.ends_at > t) {
        row.starts_at = Math.min(row.starts_at, t);
        row.ends_at = t;
        await queued(() => store.endSilence(id, t));
        log.info({ silence: id }, 'silence ended early');
        releaseHeld();
      }
      return row;
    },
    openCount: () => open.size,
    /** Resolves once every store write made so far is done (or has failed and been logged). */
    written: async (): Promise<void> => {
      await writes;
    },
    /** Idempotent: stops reminders, waits for notifications under way and the writes they make. */
    async close(): Promise<void> {
      clearInterval(reminder);
      await Promise.allSettled([...pending]);
      await writes;
    },
  };
}

export type AlertEngine = Awaited<ReturnType<typeof createAlertEngine>>;
