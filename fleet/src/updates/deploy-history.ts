// The deploy history (DESIGN.md, "Update server"): every rollout of a channel and every Ansible
// deploy or rollback run, with who started it, each change on the way (percent raised, halts with
// their reason and failing devices, resumes, force changed, waves) and how it ended. The rollout
// state machine (rollout-state.ts) writes its rollouts here; Ansible writes through
// POST/PATCH /api/deploys. Kept whatever its age: the store's prune leaves it alone.
import type { FleetStore } from '../store/fleet-store.js';
import type { DeployEventRow, DeployRow, DeploySource, RolloutTarget } from './update-tables.js';
import { DeployEndedError, DeployNotFoundError } from './update-errors.js';

export interface DeployEntry extends DeployRow {
  events: Array<Omit<DeployEventRow, 'deploy_id'>>;
}

export interface DeployStart {
  source: DeploySource;
  channel: string | null;
  version: string;
  target: RolloutTarget | null;
  startedBy: string;
  /** The first event's message. */
  message: string;
}

export function createDeployHistory(opts: {
  store: Pick<FleetStore, 'insertDeploy' | 'endDeploy' | 'deploy' | 'deploys' | 'addDeployEvent' | 'deployEvents'>;
  now: () => number;
}) {
  const { store, now } = opts;

  function require(id: number): DeployRow {
    const d = store.deploy(id);
    if (!d) throw new DeployNotFoundError(id);
    return d;
  }

  return {
    start(s: DeployStart): number {
      const t = now();
      const id = store.insertDeploy({ source: s.source, channel: s.channel, version: s.version, target: s.target, started_by: s.startedBy, started_at: t });
      store.addDeployEvent({ deploy_id: id, ts: t, kind: 'started', message: s.message, devices: [] });
      return id;
    },

    /** Record a change; refused once the entry has ended. */
    event(id: number, kind: string, message: string, devices: string[] = []): void {
      if (require(id).ended_at !== null) throw new DeployEndedError(id);
      store.addDeployEvent({ deploy_id: id, ts: now(), kind, message, devices });
    },

    /** End the entry with `outcome`; false (and nothing written) when it had already ended. */
    end(id: number, outcome: string, message: string, devices: string[] = []): boolean {
      const t = now();
      if (require(id).ended_at !== null) return false;
      store.addDeployEvent({ deploy_id: id, ts: t, kind: outcome, message, devices });
      return store.endDeploy(id, t, outcome);
    },

    get(id: number): DeployEntry {
      const d = require(id);
      return { ...d, events: store.deployEvents(id).map(({ deploy_id: _, ...e }) => e) };
    },

    /** Newest first, each with its events. */
    list(channel: string | null, limit: number): DeployEntry[] {
      return store.deploys(channel, limit).map((d) => ({ ...d, events: store.deployEvents(d.id).map(({ deploy_id: _, ...e }) => e) }));
    },
  };
}

export type DeployHistory = ReturnType<typeof createDeployHistory>;
