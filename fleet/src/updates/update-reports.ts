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
  store: Pick<FleetStore, 'recordReport' | 'reports' | 'reportOutcomes'>;
  selection: RolloutSelection;
  alerts: Pick<AlertEngine, 'raise' | 'clear'>;
  log: Log;
  now: () => number;
}

export function createUpdateReports(opts: UpdateReportsOptions) {
  const { store, alerts, log, now } = opts;

  return {
    /** Store a device's report, and raise or clear its update alert. */
    record(rep: UpdateReport): void {
      const channel = rep.channel ?? null;
      const to = rep.to_version ?? null;
      store.recordReport({
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
    counts(r: Rollout): RolloutCounts {
      const selected = opts.selection.inRegistry(r);
      let updated = 0;
      let failed = 0;
      let postponed = 0;
      let waitingWindow = 0;
      for (const o of store.reportOutcomes(r.version, r.channel)) {
        if (UPDATED.has(o.result)) updated++;
        else if (o.result === 'postponed') postponed++;
        else if (o.result === 'waiting_window') waitingWindow++;
        else if (FAILED.has(o.result)) {
          failed++;
          // A failed device the registry does not know (or did not select) was still part of the rollout.
          selected.add(o.device_id);
        }
      }
      return { selected: selected.size, updated, failed, postponed, waiting_window: waitingWindow };
    },

    /** Newest first. */
    list(since: number, limit: number): ReportRow[] {
      return store.reports(since, limit);
    },
  };
}

export type UpdateReports = ReturnType<typeof createUpdateReports>;
