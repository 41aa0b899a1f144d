// What a create asks of the session's browser itself (issue 15): a persistent profile, and its own
// egress and identity. Either makes the session start cold: pool browsers run with neither.
import { BadRequestError } from '../shared/errors.js';
import type { CreateSessionBody } from '../shared/session-schemas.js';
import type { SessionBackend, SessionIdentity } from './backends/session-backend.js';

export interface SessionSettings {
  profile: string | null;
  identity: SessionIdentity | null;
}

function knownTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The settings of a create; a 400 naming the field for what the schema cannot check. */
export function settingsOf(req: CreateSessionBody, backend: Pick<SessionBackend, 'name' | 'profiles' | 'sessionSettings'>): SessionSettings {
  const profile = req.profile ?? null;
  const asked = req.proxy !== undefined || req.user_agent !== undefined || req.locale !== undefined || req.timezone !== undefined;
  if (profile !== null && !backend.profiles) throw new BadRequestError(`profile is not kept by the ${backend.name} backend`);
  if (asked && !backend.sessionSettings) {
    throw new BadRequestError(`proxy, user_agent, locale and timezone are served by the process backend; the ${backend.name} backend does not apply them yet`);
  }
  if (req.timezone !== undefined && !knownTimezone(req.timezone)) throw new BadRequestError(`timezone ${JSON.stringify(req.timezone)} is not a time zone this host knows (an IANA name such as Europe/Berlin)`);
  const identity = asked ? { proxy: req.proxy ?? null, userAgent: req.user_agent ?? null, locale: req.locale ?? null, timezone: req.timezone ?? null } : null;
  return { profile, identity };
}

export function sameSettings(a: SessionSettings, b: SessionSettings): boolean {
  return a.profile === b.profile && JSON.stringify(a.identity) === JSON.stringify(b.identity);
}
