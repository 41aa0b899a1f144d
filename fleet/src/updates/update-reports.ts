// Update reports (DESIGN.md, "Update server"): what a device says after each update attempt
// (scripts/update.sh posts one). Recording a report raises or clears the device's update alert;
// counting the reports about a rollout's version gives its updated and failed figures, which the
// automatic halt (rollout-state.ts) reads.
import type { Log } from '../../../device/src/shared/index.js';
import type { AlertEngine } from '../alerts/alert-engine.js';
import type { FleetStore } from '../store/fleet-store.js';
import type { RolloutSelection } from './rollout-selection.js';
import type { ReportRow, Rollout } from './update-tables.js';

export type ReportResult = 'updated' | 'current' | 'rolled_back' | 'failed' | 'refused' | 'in_progress' | 'postponed' | 'waiting_window';

export interface UpdateReport {
  device: string;
  channel?: string | null;
  from_version?: string | null;
  to_version?: string | null;
  result: ReportResult;
  message?: string | null;
}

export interface RolloutCounts {
  /** Devices the hash puts in the rollout now (registry devices on this channel, plus failed reporters it does not know). */
  selected: number;
  updated: number;
  failed: number;
  /** Live sessions held the update back (the drain timed out); a later run tries again. Not failures. */
  postponed: number;
  /** Outside their update window (OUTPOST_UPDATE_WINDOW). */
  waiting_window: number;
}

// A refused release (checksum or signature wrong) is as bad for a rollout as one that fails on
// the device: it halts the rollout just the same.
const FAILED = new Set<string>(['rolled_back', 'failed', 'refused']);
const UPDATED = new Set<string>(['updated', 'current']);
const PROBLEM_WORDS: Partial<Record<ReportResult, string>> = { rolled_back: 'rolled back', failed: 'failed', refused: 'refused' };

export const isFailure = (result: string): boolean => FAILED.has(result);

export interface UpdateReportsOptions {
  store: Pick<FleetStore, 'recordReport' | 'reports' | 'reportOutcomes' | 'deviceReports'>;
  selection: RolloutSelection;
  alerts: Pick<AlertEngine, 'raise' | 'clear'>;
  log: Log;
  now: () => number;
}

export type DeviceRolloutStatus = 'updated' | 'failed' | 'postponed' | 'waiting_window' | 'pending';

export function createUpdateReports(opts: UpdateReportsOptions) {
  const { store, alerts, log, now } = opts;

  /**
   * The rollout's selected devices, each with its latest report about the rollout's version
   * ('pending': none yet, or one still in progress). Only a targeted rollout's own devices count:
   * its failure rate is taken over them alone. An untargeted rollout also counts a failed device
   * the registry does not know (or did not select): it was still part of the rollout.
   */
  async function devices(r: Rollout): Promise<Array<{ device: string; status: DeviceRolloutStatus }>> {
    const outcomes = await store.reportOutcomes(r.version, r.channel);
    const selected = opts.selection.inRegistry(r);
    const status = new Map<string, DeviceRolloutStatus>([...selected].map((id) => [id, 'pending']));
    for (const o of outcomes) {
      const known = status.has(o.device_id);
      let s: DeviceRolloutStatus | null = null;
      if (UPDATED.has(o.result)) s = 'updated';
      else if (o.result === 'postponed') s = 'postponed';
      else if (o.result === 'waiting_window') s = 'waiting_window';
      else if (FAILED.has(o.result)) s = 'failed';
      if (s === null) continue;
      if (known || (s === 'failed' && (r.target ?? null) === null)) status.set(o.device_id, s);
    }
    return [...status].map(([device, s]) => ({ device, status: s }));
  }

  return {
    /** Store a device's report, and raise or clear its update alert. */
    async record(rep: UpdateReport): Promise<void> {
      const channel = rep.channel ?? null;
      const to = rep.to_version ?? null;
      await store.recordReport({
        device_id: rep.device,
        ts: now(),
        channel,
        from_version: rep.from_version ?? null,
        to_version: to,
        result: rep.result,
        message: rep.message ?? null,
      });
      const word = PROBLEM_WORDS[rep.result];
      // The report and the device's own status describe one failure: both use the key of the
      // device-reported "update" alert, so they merge into one alert instead of two.
      if (word) {
        alerts.raise(`device:${rep.device}:update`, rep.device, {
          rule: 'update',
          severity: 'warning',
          title: `${rep.device}: update to ${to ?? 'a new version'} ${word}`,
          message: rep.message ?? `${rep.device} reported ${rep.result}${rep.from_version ? ` (running ${rep.from_version})` : ''}`,
        });
      } else if (rep.result === 'updated') {
        alerts.clear(`device:${rep.device}:update`);
      }
      if (rep.result === 'in_progress' || rep.result === 'current' || rep.result === 'waiting_window') log.debug({ device: rep.device, channel, to_version: to, result: rep.result }, 'update report');
      else log.info({ device: rep.device, channel, from_version: rep.from_version ?? null, to_version: to, result: rep.result }, `update report: ${rep.device} ${rep.result}`);
    },

    /** Each selected device counted by its latest report about the rollout's version. */
    async counts(r: Rollout): Promise<RolloutCounts> {
      const c = { selected: 0, updated: 0, failed: 0, postponed: 0, waiting_window: 0 };
      for (const d of await devices(r)) {
        c.selected++;
        if (d.status !== 'pending') c[d.status]++;
      }
      return c;
    },

    devices,

    /** Newest first. */
    deviceReports(deviceId: string, limit: number): Promise<ReportRow[]> {
      return store.deviceReports(deviceId, limit);
    },

    /** Newest first. */
    list(since: number, limit: number): Promise<ReportRow[]> {
      return store.reports(since, limit);
    },
  };
}

export type UpdateReports = ReturnType<typeof createUpdateReports>;
