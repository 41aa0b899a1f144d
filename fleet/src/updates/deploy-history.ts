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

  async function require(id: number): Promise<DeployRow> {
    const d = await store.deploy(id);
    if (!d) throw new DeployNotFoundError(id);
    return d;
  }
  const withEvents = async (d: DeployRow): Promise<DeployEntry> => ({ ...d, events: (await store.deployEvents(d.id)).map(({ deploy_id: _, ...e }) => e) });

  return {
    async start(s: DeployStart): Promise<number> {
      const t = now();
      const id = await store.insertDeploy({ source: s.source, channel: s.channel, version: s.version, target: s.target, started_by: s.startedBy, started_at: t });
      await store.addDeployEvent({ deploy_id: id, ts: t, kind: 'started', message: s.message, devices: [] });
      return id;
    },

    /** Record a change; refused once the entry has ended. */
    async event(id: number, kind: string, message: string, devices: string[] = []): Promise<void> {
      if ((await require(id)).ended_at !== null) throw new DeployEndedError(id);
      await store.addDeployEvent({ deploy_id: id, ts: now(), kind, message, devices });
    },

    /** End the entry with `outcome`; false (and nothing written) when it had already ended. */
    async end(id: number, outcome: string, message: string, devices: string[] = []): Promise<boolean> {
      const t = now();
      await require(id);
      // Ended first, then its event: of two monitors ending it at once (the last update report
      // reaching each), only the one whose UPDATE ended it writes the event.
      if (!(await store.endDeploy(id, t, outcome))) return false;
      await store.addDeployEvent({ deploy_id: id, ts: t, kind: outcome, message, devices });
      return true;
    },

    get: async (id: number): Promise<DeployEntry> => withEvents(await require(id)),

    /** Newest first, each with its events. */
    list: async (channel: string | null, limit: number): Promise<DeployEntry[]> => Promise.all((await store.deploys(channel, limit)).map(withEvents)),
  };
}

export type DeployHistory = ReturnType<typeof createDeployHistory>;
