// The rollout of each channel as a small state machine (DESIGN.md, "Update server"):
//   start(version, p, force) → active (p < 100) or complete (p = 100); also re-targets, moves the
//                        percent, sets or clears force and lifts a halt, since posting a rollout is
//                        the operator's decision;
//   halt               → halted, by an operator or automatically when failures reach the threshold;
//   resume             → active or complete again.
// While halted (and outside the percentage) devices are offered the channel's previous complete
// version. This module is the only writer of the rollouts table, so the rows live in memory too.
import { join } from 'node:path';
import type { Log } from '../../../device/src/shared/index.js';
import type { AlertEngine } from '../alerts/alert-engine.js';
import type { FleetStore } from '../store/fleet-store.js';
import { sha256OfFile, tarballName, type Release, type ReleaseCatalog } from './releases.js';
import type { Rollout } from './update-tables.js';
import type { RolloutCounts } from './update-reports.js';
import { ReleaseChecksumMismatchError, ReleaseNotFoundError, ReleaseNotSignedError, RolloutNotFoundError, UnknownChannelError } from './update-errors.js';

export interface RolloutView extends Rollout, RolloutCounts {}

/** The automatic-halt rule: at least one failure, and failures reach the threshold share of the selected devices. */
export function shouldHalt(failures: number, selected: number, thresholdPct: number): boolean {
  return failures >= 1 && (failures / Math.max(1, selected)) * 100 >= thresholdPct;
}

/** The version drift compares against: what the channel has fully rolled out. */
export function settledVersion(r: Rollout | undefined): string | null {
  if (!r) return null;
  return r.state === 'complete' ? r.version : r.previous_version;
}

export interface RolloutStatesOptions {
  store: Pick<FleetStore, 'allRollouts' | 'saveRollout'>;
  channels: readonly string[];
  failureThreshold: number;
  releases: ReleaseCatalog;
  /** A rollout's figures from the update reports (update-reports.ts). */
  counts: (r: Rollout) => RolloutCounts;
  alerts: Pick<AlertEngine, 'raise' | 'clear'>;
  log: Log;
  now: () => number;
}

export function createRolloutStates(opts: RolloutStatesOptions) {
  const { store, channels, failureThreshold, releases, counts, alerts, log, now } = opts;
  // A manifest request (every device, every cron tick) reads these, not the table.
  const rows = new Map<string, Rollout>(store.allRollouts().map((r) => [r.channel, r]));
  // Checksums verified at rollout start, by file, size and mtime: advancing a rollout's percent
  // must not re-read a large tarball.
  const verified = new Map<string, string>();

  function assertChannel(channel: string): void {
    if (!channels.includes(channel)) throw new UnknownChannelError(channel, channels);
  }

  function requireRollout(channel: string): Rollout {
    assertChannel(channel);
    const r = rows.get(channel);
    if (!r) throw new RolloutNotFoundError(channel);
    return r;
  }

  function save(r: Rollout): Rollout {
    store.saveRollout(r);
    rows.set(r.channel, r);
    return r;
  }

  const view = (r: Rollout): RolloutView => ({ ...r, ...counts(r) });

  async function requireSignedRelease(version: string): Promise<Release> {
    const rel = await releases.get(version, { fresh: true });
    if (!rel) throw new ReleaseNotFoundError(version, tarballName(version));
    if (!rel.sha256) throw new ReleaseNotSignedError(version, `${rel.file}.sha256 is missing or does not name ${rel.file}`);
    if (!rel.signed) throw new ReleaseNotSignedError(version, `${rel.file}.sha256.sig is missing`);
    const key = `${rel.size}:${rel.createdAt}:${rel.sha256}`;
    if (verified.get(rel.file) !== key) {
      if ((await sha256OfFile(join(releases.dir, rel.file))) !== rel.sha256) throw new ReleaseChecksumMismatchError(rel.file);
      verified.set(rel.file, key);
    }
    return rel;
  }

  function haltIfFailing(r: Rollout): void {
    const { selected, failed } = counts(r);
    if (!shouldHalt(failed, selected, failureThreshold)) return;
    const reason = `${failed} of ${selected} devices failed to update to ${r.version}`;
    save({ ...r, state: 'halted', halted_reason: reason, updated_at: now() });
    log.warn({ channel: r.channel, version: r.version, failed, selected, thresholdPct: failureThreshold }, `rollout halted: ${reason}`);
    alerts.raise(`rollout:${r.channel}`, null, {
      rule: 'rollout',
      severity: 'critical',
      title: `Rollout of ${r.version} on ${r.channel} halted`,
      message: `${reason} (threshold ${failureThreshold}%); devices are offered ${r.previous_version ?? 'no version (stay)'} until it is resumed`,
    });
  }

  return {
    assertChannel,

    /** The channel's rollout, if any; for manifests. */
    current: (channel: string): Rollout | undefined => rows.get(channel),

    /** Every configured channel, with what it has settled on and its rollout, if any. */
    channels() {
      return channels.map((channel) => {
        const r = rows.get(channel);
        return { channel, version: settledVersion(r), rollout: r ? { version: r.version, percent: r.percent, state: r.state } : null };
      });
    },

    list(): RolloutView[] {
      return channels.flatMap((c) => {
        const r = rows.get(c);
        return r ? [view(r)] : [];
      });
    },

    get: (channel: string): RolloutView => view(requireRollout(channel)),

    /**
     * Start a rollout of `version`, or move the current one to a new percent; lifts a halt (as resume
     * does). Each post states the rollout whole, force included: left out, it is off, so live
     * sessions are never cut short by a post that did not ask for it.
     */
    async start(channel: string, version: string, percent: number, force = false): Promise<RolloutView> {
      assertChannel(channel);
      await requireSignedRelease(version);
      // Read after the await: a concurrent start may have changed the row meanwhile.
      const existing = rows.get(channel);
      const same = existing?.version === version;
      const previous = !existing ? null : same || existing.state !== 'complete' ? existing.previous_version : existing.version;
      const t = now();
      const r = save({
        channel,
        version,
        percent,
        state: percent === 100 ? 'complete' : 'active',
        previous_version: previous,
        started_at: same && existing ? existing.started_at : t,
        updated_at: t,
        halted_reason: null,
        force,
      });
      alerts.clear(`rollout:${channel}`);
      const change = !existing
        ? 'rollout started'
        : !same
          ? `rollout re-targeted from ${existing.version}`
          : existing.state === 'halted'
            ? 'halted rollout restarted'
            : existing.percent !== percent
              ? `rollout moved from ${existing.percent}%`
              : existing.force !== force
                ? `rollout ${force ? 'forced' : 'no longer forced'}`
                : 'rollout unchanged';
      log.info(
        { channel, version, percent, force, state: r.state, previous_version: previous },
        `${change}: ${channel} → ${version} at ${percent}%${force ? ', forced' : ''} (${r.state})`,
      );
      return view(r);
    },

    halt(channel: string, reason?: string): RolloutView {
      const r = requireRollout(channel);
      if (r.state === 'halted') return view(r);
      const halted = save({ ...r, state: 'halted', halted_reason: reason ?? 'halted by an operator', updated_at: now() });
      log.warn({ channel, version: r.version, reason: halted.halted_reason }, `rollout halted: ${channel} → ${r.version}`);
      return view(halted);
    },

    resume(channel: string): RolloutView {
      const r = requireRollout(channel);
      if (r.state !== 'halted') return view(r);
      const resumed = save({ ...r, state: r.percent === 100 ? 'complete' : 'active', halted_reason: null, updated_at: now() });
      alerts.clear(`rollout:${channel}`);
      log.info({ channel, version: r.version, percent: r.percent, state: resumed.state }, `rollout resumed: ${channel} → ${r.version}`);
      return view(resumed);
    },

    /**
     * After a failure report about `version`: halt the rollouts of it (on `channel`, or on any
     * channel when the report names none) whose failures have reached the threshold. Only a
     * failure can start a halt: after an operator resumes, the next success report must not halt
     * the rollout again on the failures the operator has already seen.
     */
    failureReported(channel: string | null, version: string): void {
      const candidates = channel !== null ? [rows.get(channel)] : [...rows.values()];
      for (const r of candidates) {
        // A rollout at 100% can still be failing: it halts too, so the devices not yet updated stay.
        if (r && r.state !== 'halted' && r.version === version && channels.includes(r.channel)) haltIfFailing(r);
      }
    },

    /** Stable's settled version (or the first configured channel's, when there is no stable). */
    targetVersion(): string | null {
      const main = channels.includes('stable') ? 'stable' : channels[0];
      return main ? settledVersion(rows.get(main)) : null;
    },
  };
}

export type RolloutStates = ReturnType<typeof createRolloutStates>;
