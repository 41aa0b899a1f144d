// Labels that mark what Outpost owns in the Docker engine. Reconciliation only ever looks at
// containers carrying LABEL_MANAGED for this appliance's owner key; anything else is never touched.
import { PROFILE_NAME_PATTERN } from '../shared/session-schemas.js';

export const LABEL_MANAGED = 'outpost.managed';
export const LABEL_SESSION = 'outpost.session';
export const LABEL_CLIENT = 'outpost.client';
export const LABEL_OWNER = 'outpost.owner';
export const LABEL_KIND = 'outpost.kind';
export const LABEL_SIZE = 'outpost.size';
/** The persistent profile the container's browser runs on; absent for a throwaway profile. */
export const LABEL_PROFILE = 'outpost.profile';
export const POOL_CLIENT = '__pool__';

export interface SessionLabels {
  session: string;
  /** null for a pool container (labelled __pool__) and for a session without a client id (empty). */
  client: string | null;
  pool: boolean;
  owner: string;
  kind: 'headless' | 'vnc';
  width: number;
  height: number;
  /** A persistent profile's name; null (or absent when labelling) for a throwaway profile. */
  profile?: string | null;
}

const PROFILE_NAME = new RegExp(PROFILE_NAME_PATTERN);

export function sessionLabels(l: SessionLabels): Record<string, string> {
  return {
    [LABEL_MANAGED]: 'true',
    [LABEL_SESSION]: l.session,
    [LABEL_CLIENT]: l.pool ? POOL_CLIENT : (l.client ?? ''),
    [LABEL_OWNER]: l.owner,
    [LABEL_KIND]: l.kind,
    [LABEL_SIZE]: `${l.width}x${l.height}`,
    ...(l.profile ? { [LABEL_PROFILE]: l.profile } : {}),
  };
}

export function parseSessionLabels(labels: Record<string, string> | undefined): (SessionLabels & { profile: string | null }) | null {
  if (!labels || labels[LABEL_MANAGED] !== 'true') return null;
  const session = labels[LABEL_SESSION];
  const owner = labels[LABEL_OWNER];
  if (!session || !owner) return null;
  const size = /^(\d+)x(\d+)$/.exec(labels[LABEL_SIZE] ?? '');
  const client = labels[LABEL_CLIENT];
  return {
    session,
    owner,
    client: !client || client === POOL_CLIENT ? null : client,
    pool: client === POOL_CLIENT,
    kind: labels[LABEL_KIND] === 'vnc' ? 'vnc' : 'headless',
    width: size ? Number(size[1]) : 1280,
    height: size ? Number(size[2]) : 800,
    // Only a name the API could have given: it becomes a path under the data dir.
    profile: PROFILE_NAME.test(labels[LABEL_PROFILE] ?? '') ? labels[LABEL_PROFILE]! : null,
  };
}

export function managedFilter(owner: string): string[] {
  return [`${LABEL_MANAGED}=true`, `${LABEL_OWNER}=${owner}`];
}
