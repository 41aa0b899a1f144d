// Staged rollouts per channel (DESIGN.md, "Update server"). A rollout offers one version to a
// percentage of a channel; the rest of the channel (and all of it while halted) is offered the
// channel's previous complete version. Which devices are in the percentage is decided by a hash
// of channel, version and device id: no per-device state, the same answer on every request, a
// fresh draw for every new version, and raising the percentage only ever adds devices.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Log } from '../../../device/src/log.js';
import type { AlertEngine } from '../alerts/alert-engine.js';
import type { Device } from '../devices/device-registry.js';
import type { FleetStore } from '../store/fleet-store.js';
import { createReleaseCatalog, sha256OfFile, tarballName, type Release, type ReleaseCatalog } from './releases.js';
import type { ReportRow, Rollout } from './update-tables.js';
import { ReleaseChecksumMismatchError, ReleaseNotFoundError, ReleaseNotSignedError, RolloutNotFoundError, UnknownChannelError } from './update-errors.js';

export type ReportResult = 'updated' | 'current' | 'rolled_back' | 'failed' | 'refused' | 'in_progress';

export interface UpdateReport {
  device: string;
  channel?: string | null;
  from_version?: string | null;
  to_version?: string | null;
  result: ReportResult;
  message?: string | null;
}

export interface RolloutView extends Rollout {
  /** Devices the hash puts in the rollout now (registry devices on this channel, plus failed reporters it does not know). */
  selected: number;
  updated: number;
  failed: number;
}

export interface Manifest {
  channel: string;
  /** Null: stay on whatever runs now. */
  version: string | null;
  release: Release | null;
  rollout: { percent: number; state: Rollout['state'] } | null;
  selected: boolean;
}

export interface RolloutServiceOptions {
  store: FleetStore;
  config: { updates: { channels: string[]; failureThreshold: number; releasesDir: string } };
  /** Registry devices: who counts as selected when working out a failure rate. */
  registry: { all(): ReadonlyArray<Pick<Device, 'id' | 'health'>> };
  alerts: Pick<AlertEngine, 'raise' | 'clear'>;
  log: Log;
  releases?: ReleaseCatalog;
  now?: () => number;
}

// A refused release (checksum or signature wrong) is as bad for a rollout as one that fails on
// the device: it halts the rollout just the same.
const FAILED = new Set(['rolled_back', 'failed', 'refused']);
const UPDATED = new Set(['updated', 'current']);
const PROBLEM_WORDS: Partial<Record<ReportResult, string>> = { rolled_back: 'rolled back', failed: 'failed', refused: 'refused' };

/** First 4 bytes of SHA-256, as an unsigned 32-bit integer. Spread and stability: rollouts.test.ts. */
export function stableHash(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}

export function rolloutBucket(channel: string, version: string, deviceId: string): number {
  return stableHash(`${channel}:${version}:${deviceId}`) % 100;
}

export function isSelected(channel: string, version: string, deviceId: string, percent: number): boolean {
  return rolloutBucket(channel, version, deviceId) < percent;
}

/** The automatic-halt rule: at least one failure, and failures reach the threshold share of the selected devices. */
export function shouldHalt(failures: number, selected: number, thresholdPct: number): boolean {
  return failures >= 1 && (failures / Math.max(1, selected)) * 100 >= thresholdPct;
}

/** The version drift compares against: what the channel has fully rolled out. */
export function settledVersion(r: Rollout | undefined): string | null {
  if (!r) return null;
  return r.state === 'complete' ? r.version : r.previous_version;
}

export function createRolloutService(opts: RolloutServiceOptions) {
  const { store, log, alerts } = opts;
  const { channels, failureThreshold } = opts.config.updates;
  const now = opts.now ?? Date.now;
  const releases = opts.releases ?? createReleaseCatalog(opts.config.updates.releasesDir);
  // This service is the only writer of the table, so the rows live in memory: a manifest request
  // (every device, every cron tick) costs no query.
  const rows = new Map<string, Rollout>(store.allRollouts().map((r) => [r.channel, r]));
  // Per channel:version, each registry device's bucket: counting selected devices of a
  // 10,000-device fleet on every failure report must not hash 10,000 ids each time.
  const buckets = new Map<string, Map<string, number>>();
  // Checksums verified at rollout start, by file, size and mtime: advancing a rollout's percent
  // must not re-read a large tarball.
  const verified = new Map<string, string>();
  // Manifest requests whose release went missing: warn once per version, not once per device.
  const warnedMissing = new Set<string>();

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

  function bucketsFor(r: Rollout): Map<string, number> {
    const key = `${r.channel}:${r.version}`;
    let m = buckets.get(key);
    if (!m) {
      for (const k of buckets.keys()) if (k.startsWith(`${r.channel}:`)) buckets.delete(k);
      buckets.set(key, (m = new Map()));
    }
    return m;
  }

  /** Registry devices the hash selects. A device known (from its status) to follow another channel is not counted. */
  function selectedInRegistry(r: Rollout): Set<string> {
    const cache = bucketsFor(r);
    const ids = new Set<string>();
    for (const d of opts.registry.all()) {
      const reported = d.health.lastStatus?.appliance.update.channel;
      if (reported && reported !== r.channel) continue;
      let b = cache.get(d.id);
      if (b === undefined) cache.set(d.id, (b = rolloutBucket(r.channel, r.version, d.id)));
      if (b < r.percent) ids.add(d.id);
    }
    return ids;
  }

  function counts(r: Rollout): { selected: number; updated: number; failed: number; failedIds: string[] } {
    const selected = selectedInRegistry(r);
    let updated = 0;
    const failedIds: string[] = [];
    for (const o of store.reportOutcomes(r.version, r.channel)) {
      if (UPDATED.has(o.result)) updated++;
      else if (FAILED.has(o.result)) {
        failedIds.push(o.device_id);
        // A failed device the registry does not know (or did not select) was still part of the rollout.
        selected.add(o.device_id);
      }
    }
    return { selected: selected.size, updated, failed: failedIds.length, failedIds };
  }

  function view(r: Rollout): RolloutView {
    const { selected, updated, failed } = counts(r);
    return { ...r, selected, updated, failed };
  }

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

  function haltAutomatically(r: Rollout): void {
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
    releases,
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

    get(channel: string): RolloutView {
      return view(requireRollout(channel));
    },

    /**
     * Start a rollout of `version`, or move the current one to a new percent. Posting is the
     * operator's decision, so it also lifts a halt (as resume does).
     */
    async start(channel: string, version: string, percent: number): Promise<RolloutView> {
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
              : 'rollout unchanged';
      log.info({ channel, version, percent, state: r.state, previous_version: previous }, `${change}: ${channel} → ${version} at ${percent}% (${r.state})`);
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

    /** What `deviceId` on `channel` should run now. */
    async manifest(channel: string, deviceId: string): Promise<Manifest> {
      assertChannel(channel);
      const r = rows.get(channel);
      if (!r) return { channel, version: null, release: null, rollout: null, selected: false };
      const selected = r.state !== 'halted' && isSelected(r.channel, r.version, deviceId, r.percent);
      const version = selected ? r.version : r.previous_version;
      const rollout = { percent: r.percent, state: r.state };
      if (version === null) return { channel, version: null, release: null, rollout, selected };
      const release = await releases.get(version);
      if (!release?.signed) {
        // Removed from the directory after the rollout began: "stay" is the only safe answer.
        if (!warnedMissing.has(version)) log.warn({ channel, version, dir: releases.dir }, `release ${version} is offered on ${channel} but is missing or unsigned; devices are told to stay`);
        warnedMissing.add(version);
        return { channel, version: null, release: null, rollout, selected };
      }
      warnedMissing.delete(version);
      return { channel, version, release, rollout, selected };
    },

    /** Record a device's update result; raise or clear its alert; halt the rollout when failures pass the threshold. */
    report(rep: UpdateReport): void {
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
      if (rep.result === 'in_progress' || rep.result === 'current') log.debug({ device: rep.device, channel, to_version: to, result: rep.result }, 'update report');
      else log.info({ device: rep.device, channel, from_version: rep.from_version ?? null, to_version: to, result: rep.result }, `update report: ${rep.device} ${rep.result}`);

      // Only a failure can start a halt: after an operator resumes, the next success report
      // must not halt the rollout again on the failures the operator has already seen.
      if (!FAILED.has(rep.result) || to === null) return;
      const candidates = channel !== null ? [rows.get(channel)] : [...rows.values()];
      for (const r of candidates) {
        // A rollout at 100% can still be failing: it halts too, so the devices not yet updated stay.
        if (r && r.state !== 'halted' && r.version === to && channels.includes(r.channel)) haltAutomatically(r);
      }
    },

    reports(since: number, limit: number): ReportRow[] {
      return store.reports(since, limit);
    },

    /** Stable's settled version (or the first configured channel's, when there is no stable). */
    targetVersion(): string | null {
      const main = channels.includes('stable') ? 'stable' : channels[0];
      return main ? settledVersion(rows.get(main)) : null;
    },
  };
}

export type RolloutService = ReturnType<typeof createRolloutService>;
