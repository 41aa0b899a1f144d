// Fleet alerts (DESIGN.md, "Alerts"): derived from each device's state after every poll, deduped
// on a stable key, resolved when the condition clears (with a recovery message), reminded while
// open. The open set lives in the store (one open row per key) so a restart neither re-notifies nor
// forgets what is open; in memory it is what the rules read. Store writes go out in the order they
// were made, one after another: the poll path (evaluate, for every device of every cycle) does not
// wait for them, and a write that needs an earlier one's id (resolving an alert just opened) finds
// it set (alert-engine.cases.ts, "writes an alert opened and resolved at once in order"). The API's
// changes (acks, silences) wait for theirs.
//
// Several monitors on one store (cluster mode, `shared`): one of them is the leader (`leader()`).
// Only the leader evaluates devices and sends (first messages, reminders, recoveries). Every monitor
// serves the API: raise, clear, acks and silences write the store wherever they are made, and
// sync(), which the cluster runs on every monitor each tick, makes memory the store's again. The
// leader then adopts what others opened and sends what nobody has sent; a follower just mirrors.
// Sending is at least once and, outside a leader's death, exactly once: the store records a message
// (last_notified_at) once the channels have taken it, and a new leader sends any open alert the
// store shows as never sent (alert-engine.cases.ts, "two monitors").
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
  /**
   * Whether this monitor is the leader now (the cluster's advisory lock). Only the leader evaluates
   * devices, sends and reminds; on a follower evaluate() and remind() do nothing, and raise, clear,
   * acks and silences only write the store. Default: always (a single monitor).
   */
  leader?: () => boolean;
  /**
   * Other monitors write the same store (cluster mode 'shared'). An alert's first message then goes
   * out once its row is written (and only if no monitor has sent it yet), its "resolved" once this
   * monitor's UPDATE closed the row (or the row was closed by a follower, which never sends); and
   * clear() closes a key another monitor opened since the last sync(). Default false: memory is the
   * truth, and messages go out at once.
   */
  shared?: boolean;
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

const newest = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.max(a, b));

export async function createAlertEngine(opts: AlertEngineOptions) {
  const { store, log } = opts;
  const now = opts.now ?? Date.now;
  const leader = opts.leader ?? (() => true);
  const shared = opts.shared ?? false;
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
  // Open rows whose first message this monitor, as leader, has dealt with (sent, held by a silence,
  // held back by flapping, or no channel to send to). A leader's sync() sends the first message of
  // the others that the store shows as never sent: opened on a follower, or by a leader that died
  // before sending. Forgotten while following: a leader again looks at every row afresh.
  let decided = new WeakSet<AlertRow>();
  // Writes of ours still queued, per alert key: sync() reads the store before they land, so for
  // these keys memory is newer than what it read, and it leaves them alone.
  const writing = new Map<string, number>();

  for (const a of initialOpen) index(a);

  let writes: Promise<unknown> = Promise.resolve();
  const settle = () => undefined;
  /** Runs fn after every store write made before it (and before any made after it); `key`: the alert it writes. */
  function queued<R>(fn: () => Promise<R>, key?: string): Promise<R> {
    if (key !== undefined) writing.set(key, (writing.get(key) ?? 0) + 1);
    const run =
      key === undefined
        ? fn
        : async () => {
            try {
              return await fn();
            } finally {
              const left = (writing.get(key) ?? 1) - 1;
              if (left > 0) writing.set(key, left);
              else writing.delete(key);
            }
          };
    const p = writes.then(run);
    writes = p.then(settle, settle);
    return p;
  }
  /** A write nobody waits for: a failure is logged (the alert stays as memory has it until a restart, or the next sync()). */
  function later(alert: string, fn: () => Promise<unknown>): void {
    queued(fn, alert).catch((err: unknown) => log.error({ err, alert }, 'cannot write the alert to the store'));
  }

  function subject(a: AlertRow): AlertSubject {
    const info = a.device_id ? opts.deviceInfo?.(a.device_id) : null;
    return { device_id: a.device_id, rule: a.rule, severity: a.severity, groups: info?.groups ?? [], labels: info?.labels ?? {} };
  }

  const silencedNow = (a: AlertRow): number[] => silencedBy(silences, subject(a), now());

  /** For an alert this monitor did not evaluate: its device flaps when its flapping alert is open. */
  const flappingNow = (a: AlertRow): boolean => a.device_id !== null && open.has(`flapping:${a.device_id}`);

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
    // A follower sends nothing: what it changes reaches the leader through the store.
    if (!leader()) return;
    if (kind === 'open') decided.add(a);
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
    // The open row in memory at once: remind() and sync() read it (before, reminders went out on
    // every tick once the first was due, and /api/alerts showed open alerts as never notified).
    a.last_notified_at = at;
    a.notify_count += 1;
    const p = opts.channels
      .send(n)
      .then((results) => {
        // In the store only once the channels have taken the message (delivered, or given up after
        // their retries): a leader that dies before this write leaves the alert "never sent" there,
        // and the next leader's sync() sends it, so nothing is lost (alert-engine.cases.ts, "sends
        // once what a leader that died before sending had opened"). The window where a message can
        // go out twice: a leader killed after its channels delivered and before this write lands,
        // or one that lost its lock with messages still waiting in its channels (retries, rate limit).
        later(a.key, () => store.markNotified(a.id, at));
        const ts = now();
        for (const r of results) {
          later(a.key, () => store.recordNotification({ alert_id: a.id, kind, channel: r.channel, ts, ok: r.ok ? 1 : 0, attempts: r.attempts, error: r.error }));
        }
      })
      .catch((err: unknown) => log.error({ err, alert: a.key }, 'notification failed'))
      .finally(() => pending.delete(p));
    pending.add(p);
  }

  /**
   * A row this monitor held open was closed by another (a follower's clear, or a leader before this
   * one). As leader, its "resolved" goes out by the usual rule, unless the store shows that another
   * monitor sent a message about it after this one last knew it and no earlier than its resolution:
   * that was the "resolved" (monitors' clocks are taken to agree, as NTP keeps them, to well under
   * the time between an alert's messages).
   */
  async function resolvedElsewhere(a: AlertRow, flapping: boolean): Promise<void> {
    if (!leader()) return;
    const row = a.id > 0 ? await store.alert(a.id) : undefined;
    a.resolved_at = row?.resolved_at ?? a.resolved_at ?? now();
    if (row && row.notify_count > a.notify_count && row.last_notified_at !== null && row.resolved_at !== null && row.last_notified_at >= row.resolved_at) return;
    notify(a, 'resolved', flapping);
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
      const { row: stored, inserted } = await store.openAlertOnce(row);
      row.id = stored.id;
      if (!inserted) {
        // Another monitor opened the key first: its row is the alert, with what we want on top.
        row.opened_at = stored.opened_at;
        row.last_notified_at = newest(row.last_notified_at, stored.last_notified_at);
        row.notify_count = Math.max(row.notify_count, stored.notify_count);
        row.acked_at = stored.acked_at;
        row.acked_by = stored.acked_by;
        if (stored.severity !== row.severity || stored.title !== row.title || stored.message !== row.message) await store.updateAlert(row);
      }
      // Shared: sent once the row is in, unless a monitor has sent it already or it closed meanwhile.
      if (shared && row.resolved_at === null && row.last_notified_at === null) notify(row, 'open', flapping);
    });
    index(row);
    log.info({ alert: key, severity: d.severity }, d.title);
    if (!shared) notify(row, 'open', flapping);
  }

  function resolveOne(a: AlertRow, flapping: boolean): void {
    const at = (a.resolved_at = now());
    unindex(a);
    held.delete(a.key);
    log.info({ alert: a.key }, `resolved: ${a.title}`);
    if (!shared) {
      later(a.key, () => store.resolveAlert(a.id, at));
      notify(a, 'resolved', flapping);
      return;
    }
    // Shared: the "resolved" is this monitor's to send only if its UPDATE closed the row; closed
    // already, it was closed elsewhere.
    later(a.key, async () => {
      if ((await store.resolveAlert(a.id, at)) > 0) notify(a, 'resolved', flapping);
      else await resolvedElsewhere(a, flapping);
    });
  }

  /** Memory's row `a` takes what other monitors may have changed in the store's row `s` (same id). */
  function merge(a: AlertRow, s: AlertRow, lead: boolean): void {
    Object.assign(a, { severity: s.severity, title: s.title, message: s.message, acked_at: s.acked_at, acked_by: s.acked_by });
    if (lead) {
      // A message under way is in memory before the store (notify()); one sent by an earlier leader
      // is in the store only.
      a.last_notified_at = newest(a.last_notified_at, s.last_notified_at);
      a.notify_count = Math.max(a.notify_count, s.notify_count);
    } else {
      a.last_notified_at = s.last_notified_at;
      a.notify_count = s.notify_count;
    }
  }

  return {
    /** Re-evaluate one device after a poll. The leader's work: a follower does nothing. */
    evaluate(d: Device): void {
      names.set(d.id, d.name);
      if (!leader()) return;
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
    /** Alerts not tied to a polled device (update reports, rollouts). On a follower: written, sent by the leader. */
    raise(key: string, deviceId: string | null, d: Desired): void {
      openOne(key, deviceId, d, false);
    },
    clear(key: string): void {
      const a = open.get(key);
      if (a) {
        resolveOne(a, false);
        return;
      }
      if (!shared) return;
      // Shared: another monitor may have opened the key since the last sync().
      const at = now();
      later(key, async () => {
        for (const row of await store.resolveOpenAlert(key, at)) {
          log.info({ alert: key }, `resolved: ${row.title}`);
          notify(row, 'resolved', false);
        }
      });
    },
    /** The leader's work: a follower does nothing. */
    remind(): void {
      if (!leader()) return;
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
    /**
     * Makes the open alerts and the silences the store's (cluster mode: every monitor, every tick,
     * and once on becoming leader). Keys with a write of ours still queued stay as memory has them.
     * The leader adopts rows it did not know, sends the first message of those never sent, and the
     * "resolved" of rows closed elsewhere; a follower only mirrors. Runs in the write queue, so it
     * never reads the store between one of our writes being made and landing.
     */
    sync(): Promise<void> {
      return queued(async () => {
        const [stored, storedSilences] = await Promise.all([store.openAlerts(), store.silences(0)]);
        const lead = leader();
        silences = storedSilences;
        if (!lead) {
          held.clear();
          decided = new WeakSet();
        }
        const storedByKey = new Map(stored.map((r) => [r.key, r]));
        const closed: AlertRow[] = [];
        for (const a of [...open.values()]) {
          if (writing.has(a.key)) continue;
          const s = storedByKey.get(a.key);
          if (s && s.id === a.id) {
            merge(a, s, lead);
          } else if (a.id !== 0) {
            // (Id 0 and nothing queued: its insert failed and was logged; there is no row to compare.)
            unindex(a);
            held.delete(a.key);
            closed.push(a);
          }
        }
        for (const s of stored) if (!open.has(s.key) && !writing.has(s.key)) index(s);
        if (!lead) return;
        for (const a of open.values()) {
          if (a.last_notified_at === null && !decided.has(a) && !writing.has(a.key)) notify(a, 'open', flappingNow(a));
        }
        releaseHeld();
        for (const a of closed) await resolvedElsewhere(a, false);
      });
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
        await queued(() => store.ackAlert(a.id, at, by), key);
      }
      return a;
    },
    async unack(key: string): Promise<AlertRow> {
      const a = open.get(key);
      if (!a) throw new AlertNotOpenError(key);
      a.acked_at = null;
      a.acked_by = null;
      await queued(() => store.ackAlert(a.id, null, null), key);
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
      // A sync() queued right behind the insert may have brought it in already.
      if (!silences.some((x) => x.id === row.id)) silences.push(row);
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
        // A sync() queued before the write read the silence as it was: its copy ends now too.
        const current = silences.find((x) => x.id === id);
        if (current && current !== row) Object.assign(current, { starts_at: row.starts_at, ends_at: row.ends_at });
        log.info({ silence: id }, 'silence ended early');
        releaseHeld();
      }
      return row;
    },
    openCount: () => open.size,
    /**
     * Resolves once every store write made so far is done (or has failed and been logged), those
     * that notifications under way will make included.
     */
    written: async (): Promise<void> => {
      for (;;) {
        const w = writes;
        await Promise.allSettled([...pending]);
        await w;
        if (w === writes && pending.size === 0) return;
      }
    },
    /** Idempotent: stops reminders, waits for notifications under way and the writes they make. */
    async close(): Promise<void> {
      clearInterval(reminder);
      await this.written();
    },
  };
}

export type AlertEngine = Awaited<ReturnType<typeof createAlertEngine>>;
