// The rollout of each channel as a small state machine (DESIGN.md, "Update server"):
//   start(version, p, force) → active (p < 100) or complete (p = 100); also re-targets, moves the
//                        percent, sets or clears force and lifts a halt, since posting a rollout is
//                        the operator's decision;
//   halt               → halted, by an operator or automatically when failures reach the threshold;
//   resume             → active or complete again.
// While halted (and outside the percentage) devices are offered the channel's previous complete
// version. Each rollout is an entry of the deploy history (deploy-history.ts): started by whom, each
// change, and its end — completed when every selected device has reported updated, superseded when
// another version is rolled out on the channel. The store answers asynchronously, so changes to the
// rollouts (start, halt, resume, the automatic halt and completion) take turns.
//
// Several monitors on one store each run this, and any of them may receive the operator's change or
// a device's report. So the rows in memory are a copy for manifests (every device, every cron tick),
// made the store's again by refresh() on every cluster tick; each change reads its row from the
// store in its turn before deciding; and halting and resuming are compare-and-set on the row, so of
// two monitors halting at once (failure reports reaching both) one halts, records the history event
// and raises the alert (rollouts.cases.ts, "two monitors"). A start states the rollout whole and
// overwrites the row: of two posts made at once on two monitors the last wins, as on one monitor.
import { join } from 'node:path';
import type { Log } from '../../../device/src/shared/index.js';
import type { AlertEngine } from '../alerts/alert-engine.js';
import type { FleetStore } from '../store/fleet-store.js';
import { sha256OfFile, tarballName, type Release, type ReleaseCatalog } from './releases.js';
import type { DeployHistory } from './deploy-history.js';
import type { Rollout, RolloutTarget } from './update-tables.js';
import type { DeviceRolloutStatus, RolloutCounts } from './update-reports.js';
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

/** Sorted label keys, so that the same selector posted twice compares equal; an empty target is none. */
export function normalTarget(t: RolloutTarget | null): RolloutTarget | null {
  if (t === null) return null;
  const labels = t.labels && Object.keys(t.labels).length > 0 ? Object.fromEntries(Object.entries(t.labels).sort(([a], [b]) => a.localeCompare(b))) : undefined;
  if (t.group === undefined && labels === undefined) return null;
  return { ...(t.group !== undefined ? { group: t.group } : {}), ...(labels ? { labels } : {}) };
}

/** "group lab, site=lab" or "every device". */
export function describeTarget(t: RolloutTarget | null): string {
  if (t === null) return 'every device';
  const parts = [...(t.group !== undefined ? [`group ${t.group}`] : []), ...Object.entries(t.labels ?? {}).map(([k, v]) => `${k}=${v}`)];
  return parts.join(', ');
}

export interface RolloutStatesOptions {
  store: Pick<FleetStore, 'allRollouts' | 'rollout' | 'saveRollout' | 'haltRollout' | 'resumeRollout' | 'linkRolloutDeploy'>;
  channels: readonly string[];
  failureThreshold: number;
  releases: ReleaseCatalog;
  /** A rollout's figures from the update reports (update-reports.ts). */
  counts: (r: Rollout) => Promise<RolloutCounts>;
  /** A rollout's selected devices with their latest report (update-reports.ts). */
  devices: (r: Rollout) => Promise<Array<{ device: string; status: DeviceRolloutStatus }>>;
  history: DeployHistory;
  alerts: Pick<AlertEngine, 'raise' | 'clear'>;
  log: Log;
  now: () => number;
}

export async function createRolloutStates(opts: RolloutStatesOptions) {
  const { store, channels, failureThreshold, releases, counts, history, alerts, log, now } = opts;
  // A manifest request (every device, every cron tick) reads these, not the table.
  const rows = new Map<string, Rollout>((await store.allRollouts()).map((r) => [r.channel, r]));
  let turn: Promise<unknown> = Promise.resolve();
  const settle = () => undefined;
  /** Runs fn once every change started before it has ended. */
  function inTurn<R>(fn: () => Promise<R>): Promise<R> {
    const p = turn.then(fn);
    turn = p.then(settle, settle);
    return p;
  }
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

  /** The channel's row as the store has it now (another monitor may have changed it); memory follows. */
  async function read(channel: string): Promise<Rollout | undefined> {
    const r = await store.rollout(channel);
    if (r) rows.set(channel, r);
    else rows.delete(channel);
    return r;
  }

  async function readRequired(channel: string): Promise<Rollout> {
    assertChannel(channel);
    const r = await read(channel);
    if (!r) throw new RolloutNotFoundError(channel);
    return r;
  }

  async function readAll(): Promise<Rollout[]> {
    const all = await store.allRollouts();
    rows.clear();
    for (const r of all) rows.set(r.channel, r);
    return all;
  }

  async function save(r: Rollout): Promise<Rollout> {
    await store.saveRollout(r);
    rows.set(r.channel, r);
    return r;
  }

  const view = async (r: Rollout): Promise<RolloutView> => ({ ...r, ...(await counts(r)) });

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

  /** The rollout's history entry; a rollout from before migration 6 gets one at its first change. */
  async function deployOf(r: Rollout, startedBy: string): Promise<number> {
    if (r.deploy_id !== null) return r.deploy_id;
    const id = await history.start({ source: 'rollout', channel: r.channel, version: r.version, target: r.target, startedBy, message: `rollout of ${r.version} at ${r.percent}% (recorded from its first change)` });
    // Linked only if no monitor linked one meanwhile (then ours stays in the history, unused).
    if (await store.linkRolloutDeploy(r.channel, r.version, id)) {
      rows.set(r.channel, { ...r, deploy_id: id });
      return id;
    }
    return (await read(r.channel))?.deploy_id ?? id;
  }

  async function haltIfFailing(r: Rollout): Promise<void> {
    const { selected, failed } = await counts(r);
    if (!shouldHalt(failed, selected, failureThreshold)) return;
    const reason = `${failed} of ${selected} devices failed to update to ${r.version}`;
    const failing = (await opts.devices(r)).filter((d) => d.status === 'failed').map((d) => d.device).sort();
    const deployId = await deployOf(r, 'admin');
    const at = now();
    if (!(await store.haltRollout({ channel: r.channel, version: r.version, halted_reason: reason, updated_at: at }))) {
      // Another monitor halted it first, or the rollout changed meanwhile: that one's halt stands.
      await read(r.channel);
      return;
    }
    rows.set(r.channel, { ...r, state: 'halted', halted_reason: reason, updated_at: at, deploy_id: deployId });
    if ((await history.get(deployId)).ended_at === null) await history.event(deployId, 'halted', `halted automatically: ${reason} (threshold ${failureThreshold}%)`, failing);
    log.warn({ channel: r.channel, version: r.version, failed, selected, thresholdPct: failureThreshold }, `rollout halted: ${reason}`);
    alerts.raise(`rollout:${r.channel}`, null, {
      rule: 'rollout',
      severity: 'critical',
      title: `Rollout of ${r.version} on ${r.channel} halted`,
      message: `${reason} (threshold ${failureThreshold}%); devices are offered ${r.previous_version ?? 'no version (stay)'} until it is resumed`,
    });
  }

  /**
   * A rollout at 100% (not halted) whose selected devices have all reported updated ends its history
   * entry as completed. The rollout row stays: it is what the channel runs.
   */
  async function completeIfDone(r: Rollout): Promise<void> {
    if (r.state !== 'complete' || r.deploy_id === null) return;
    const { selected, updated } = await counts(r);
    if (selected === 0 || updated < selected) return;
    if (await history.end(r.deploy_id, 'completed', `completed: all ${selected} selected devices updated to ${r.version}`)) {
      log.info({ channel: r.channel, version: r.version, selected }, `rollout completed: ${r.channel} → ${r.version}`);
    }
  }

  return {
    assertChannel,

    /** The selected devices with their latest report, for the dashboard. */
    devices: async (channel: string) => opts.devices(requireRollout(channel)),

    /** The channel's rollout, if any; for manifests. */
    current: (channel: string): Rollout | undefined => rows.get(channel),

    /** Every configured channel, with what it has settled on and its rollout, if any. */
    channels() {
      return channels.map((channel) => {
        const r = rows.get(channel);
        return { channel, version: settledVersion(r), rollout: r ? { version: r.version, percent: r.percent, state: r.state } : null };
      });
    },

    /** Every configured channel's rollout, without figures (no store read). */
    rollouts: (): Rollout[] => channels.flatMap((c) => rows.get(c) ?? []),

    /**
     * Makes the rows in memory the store's (cluster mode: every tick), so that manifests served here
     * follow a change made on another monitor within a tick.
     */
    refresh: (): Promise<void> =>
      inTurn(async () => {
        await readAll();
      }),

    /** Every configured channel's rollout with its figures. */
    list: (): Promise<RolloutView[]> => Promise.all(channels.flatMap((c) => rows.get(c) ?? []).map(view)),

    get: async (channel: string): Promise<RolloutView> => view(requireRollout(channel)),

    /**
     * Start a rollout of `version`, or move the current one to a new percent; lifts a halt (as resume
     * does). Each post states the rollout whole, force included: left out, it is off, so live
     * sessions are never cut short by a post that did not ask for it.
     */
    async start(channel: string, version: string, percent: number, force = false, more: { target?: RolloutTarget | null; startedBy?: string } = {}): Promise<RolloutView> {
      assertChannel(channel);
      await requireSignedRelease(version);
      const target = normalTarget(more.target ?? null);
      const startedBy = more.startedBy ?? 'admin';
      return inTurn(async () => {
        // Read in turn, from the store: a change here or on another monitor may have changed the row.
        const existing = await read(channel);
        const same = existing?.version === version;
        const previous = !existing ? null : same || existing.state !== 'complete' ? existing.previous_version : existing.version;
        const t = now();
        const targetText = describeTarget(target);
        let deployId: number;
        if (existing && same) {
          deployId = await deployOf(existing, startedBy);
          const ended = (await history.get(deployId)).ended_at !== null;
          if (ended) deployId = await history.start({ source: 'rollout', channel, version, target, startedBy, message: `rollout of ${version} posted again at ${percent}%${force ? ', forced' : ''} to ${targetText}` });
          if (existing.state === 'halted') await history.event(deployId, 'resumed', `halted rollout restarted at ${percent}% by ${startedBy}`);
          if (existing.percent !== percent) await history.event(deployId, 'percent', `percent ${existing.percent < percent ? 'raised' : 'lowered'} from ${existing.percent}% to ${percent}% by ${startedBy}`);
          if (existing.force !== force) await history.event(deployId, 'force', `${force ? 'forced' : 'no longer forced'} by ${startedBy}`);
          if (describeTarget(existing.target) !== targetText) await history.event(deployId, 'target', `target changed from ${describeTarget(existing.target)} to ${targetText} by ${startedBy}`);
        } else {
          if (existing && existing.deploy_id !== null) await history.end(existing.deploy_id, 'superseded', `superseded by the rollout of ${version}`);
          deployId = await history.start({ source: 'rollout', channel, version, target, startedBy, message: `rollout of ${version} started at ${percent}%${force ? ', forced' : ''} to ${targetText}` });
        }
        const r = await save({
          channel,
          version,
          percent,
          state: percent === 100 ? 'complete' : 'active',
          previous_version: previous,
          started_at: same && existing ? existing.started_at : t,
          updated_at: t,
          halted_reason: null,
          force,
          target,
          deploy_id: deployId,
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
          { channel, version, percent, force, target, state: r.state, previous_version: previous, startedBy },
          `${change}: ${channel} → ${version} at ${percent}%${force ? ', forced' : ''} of ${targetText} (${r.state})`,
        );
        await completeIfDone(r);
        return view(r);
      });
    },

    async halt(channel: string, reason?: string, by = 'admin'): Promise<RolloutView> {
      assertChannel(channel);
      return inTurn(async () => {
        const r = await readRequired(channel);
        if (r.state === 'halted') return view(r);
        const deployId = await deployOf(r, by);
        const halted: Rollout = { ...r, state: 'halted', halted_reason: reason ?? 'halted by an operator', updated_at: now(), deploy_id: deployId };
        // Halted meanwhile by another monitor (or re-targeted): the rollout as it is now.
        if (!(await store.haltRollout(halted))) return view(await readRequired(channel));
        rows.set(channel, halted);
        if ((await history.get(deployId)).ended_at === null) await history.event(deployId, 'halted', `halted by ${by}${reason ? `: ${reason}` : ''}`);
        log.warn({ channel, version: r.version, reason: halted.halted_reason }, `rollout halted: ${channel} → ${r.version}`);
        return view(halted);
      });
    },

    async resume(channel: string, by = 'admin'): Promise<RolloutView> {
      assertChannel(channel);
      return inTurn(async () => {
        const r = await readRequired(channel);
        if (r.state !== 'halted') return view(r);
        const deployId = await deployOf(r, by);
        const resumed: Rollout = { ...r, state: r.percent === 100 ? 'complete' : 'active', halted_reason: null, updated_at: now(), deploy_id: deployId };
        // Resumed meanwhile by another monitor (or re-targeted): the rollout as it is now.
        if (!(await store.resumeRollout(resumed))) return view(await readRequired(channel));
        rows.set(channel, resumed);
        if ((await history.get(deployId)).ended_at === null) await history.event(deployId, 'resumed', `resumed by ${by}`);
        alerts.clear(`rollout:${channel}`);
        log.info({ channel, version: r.version, percent: r.percent, state: resumed.state }, `rollout resumed: ${channel} → ${r.version}`);
        await completeIfDone(resumed);
        return view(resumed);
      });
    },

    /** After a success report about `version`: end the history entry of a rollout every selected device has now taken. */
    updateReported: (channel: string | null, version: string): Promise<void> =>
      inTurn(async () => {
        const candidates = channel !== null ? [await read(channel)] : await readAll();
        for (const r of candidates) if (r && r.version === version && channels.includes(r.channel)) await completeIfDone(r);
      }),

    /**
     * After a failure report about `version`: halt the rollouts of it (on `channel`, or on any
     * channel when the report names none) whose failures have reached the threshold. Only a
     * failure can start a halt: after an operator resumes, the next success report must not halt
     * the rollout again on the failures the operator has already seen.
     */
    failureReported: (channel: string | null, version: string): Promise<void> =>
      inTurn(async () => {
        const candidates = channel !== null ? [await read(channel)] : await readAll();
        for (const r of candidates) {
          // A rollout at 100% can still be failing: it halts too, so the devices not yet updated stay.
          if (r && r.state !== 'halted' && r.version === version && channels.includes(r.channel)) await haltIfFailing(r);
        }
      }),

    /** Stable's settled version (or the first configured channel's, when there is no stable). */
    targetVersion(): string | null {
      const main = channels.includes('stable') ? 'stable' : channels[0];
      return main ? settledVersion(rows.get(main)) : null;
    },
  };
}

export type RolloutStates = Awaited<ReturnType<typeof createRolloutStates>>;
