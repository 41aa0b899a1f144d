// What a create asks of the session's browser itself (issue 15): a persistent profile; its own
// egress and identity; the position its pages see, the URLs they may not load, extra chromium
// switches and extensions. Any of them makes the session start cold: pool browsers run with none.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadRequestError } from '../shared/errors.js';
import type { CreateSessionBody } from '../shared/session-schemas.js';
import type { SessionBackend, SessionIdentity } from './backends/session-backend.js';
import { extraArgsProblem } from './extra-args.js';

export interface SessionSettings {
  profile: string | null;
  identity: SessionIdentity | null;
}

/** What the checks need to know besides the create body. */
export interface SettingsContext {
  /** Whether the session's browser runs headless (extensions are for headful sessions). */
  headless: boolean;
  /** `${OUTPOST_DATA_DIR}/extensions`, where extensions are installed by name. */
  extensionsDir: string;
}

const IDENTITY_FIELDS = ['proxy', 'user_agent', 'locale', 'timezone', 'geolocation', 'block_urls', 'extra_args', 'extensions'] as const;

function knownTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function named(fields: string[]): string {
  return fields.length === 1 ? fields[0]! : `${fields.slice(0, -1).join(', ')} and ${fields.at(-1)}`;
}

/** An installed unpacked extension has a manifest chromium can read; a 400 naming it otherwise. */
function checkExtension(name: string, extensionsDir: string): void {
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(join(extensionsDir, name, 'manifest.json'), 'utf8'));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'is not installed' : 'has a manifest.json that is not JSON';
    throw new BadRequestError(`extensions: ${JSON.stringify(name)} ${why} (an unpacked extension in \${OUTPOST_DATA_DIR}/extensions/${name}/, with its manifest.json)`);
  }
  if (typeof manifest !== 'object' || manifest === null || typeof (manifest as { manifest_version?: unknown }).manifest_version !== 'number') {
    throw new BadRequestError(`extensions: ${JSON.stringify(name)} has a manifest.json without a manifest_version`);
  }
}

/** The settings of a create; a 400 naming the field for what the schema cannot check. */
export function settingsOf(req: CreateSessionBody, backend: Pick<SessionBackend, 'name' | 'profiles' | 'sessionSettings'>, where: SettingsContext): SessionSettings {
  const profile = req.profile ?? null;
  // An empty list asks for nothing: such a create can still come from the pool.
  const asked = IDENTITY_FIELDS.filter((f) => {
    const v = req[f];
    return v !== undefined && !(Array.isArray(v) && v.length === 0);
  });
  if (profile !== null && !backend.profiles) throw new BadRequestError(`profile is not kept by the ${backend.name} backend`);
  if (asked.length > 0 && !backend.sessionSettings) {
    const one = asked.length === 1;
    throw new BadRequestError(`${named(asked)} ${one ? 'is' : 'are'} served by the process backend; the ${backend.name} backend does not apply ${one ? 'it' : 'them'} yet`);
  }
  if (asked.length === 0) return { profile, identity: null };
  if (req.timezone !== undefined && !knownTimezone(req.timezone)) throw new BadRequestError(`timezone ${JSON.stringify(req.timezone)} is not a time zone this host knows (an IANA name such as Europe/Berlin)`);
  const extraArgs = req.extra_args ?? [];
  const problem = extraArgsProblem(extraArgs);
  if (problem !== null) throw new BadRequestError(problem);
  const extensions = req.extensions ?? [];
  if (extensions.length > 0 && where.headless) {
    throw new BadRequestError('extensions run in headful sessions only: ask for "vnc": true or "headless": false');
  }
  for (const name of extensions) checkExtension(name, where.extensionsDir);
  const geo = req.geolocation;
  return {
    profile,
    identity: {
      proxy: req.proxy ?? null,
      userAgent: req.user_agent ?? null,
      locale: req.locale ?? null,
      timezone: req.timezone ?? null,
      geolocation: geo ? { latitude: geo.latitude, longitude: geo.longitude, accuracy: geo.accuracy ?? 0 } : null,
      blockUrls: req.block_urls ?? [],
      extraArgs,
      extensions,
    },
  };
}

export function sameSettings(a: SessionSettings, b: SessionSettings): boolean {
  return a.profile === b.profile && JSON.stringify(a.identity) === JSON.stringify(b.identity);
}
