// Where the store lives (OUTPOST_FLEET_DB): a SQLite file, or a PostgreSQL database named by a
// postgres:// (postgresql://) URL. Anything else with a scheme is refused at boot: before, such a
// value was taken as a relative file path and the monitor made a directory named `postgres:`.
// A URL's password (in its user part or as ?password=) appears in no message and no log line:
// `display` is the URL without it, and JSON.stringify (so pino) gives `display` only.
import { resolve } from 'node:path';
import { ConfigError } from '../../../device/src/shared/index.js';

export type StoreLocation =
  | { kind: 'sqlite'; file: string; display: string; toJSON(): string }
  | { kind: 'postgres'; url: string; display: string; toJSON(): string };

const VARIABLE = 'OUTPOST_FLEET_DB';
const EXPECTED = 'a file path or a postgres:// (postgresql://) URL';
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
const POSTGRES_SCHEMES = new Set(['postgres', 'postgresql']);

/** The URL with its password replaced by ***; never throws, whatever it is given. */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    if (u.password !== '') u.password = '***';
    if (u.searchParams.has('password')) u.searchParams.set('password', '***');
    return u.toString();
  } catch {
    // Unparseable: hide whatever sits between the user's colon and the @, and any password= value.
    return raw.replace(/^([^:/?#]+:\/\/[^:@/?#]*):[^@/?#]*@/, '$1:***@').replace(/([?&]password=)[^&#]*/gi, '$1***');
  }
}

/**
 * Reads OUTPOST_FLEET_DB's value: a URL with a scheme other than postgres/postgresql, or a
 * postgres URL that does not parse, is a ConfigError naming the variable (the password redacted).
 * A path is resolved against the working directory, as before.
 */
export function parseStoreLocation(value: string): StoreLocation {
  const scheme = SCHEME.exec(value)?.[1]?.toLowerCase();
  // One letter and a colon is a Windows drive, not a scheme; a path has no scheme at all.
  if (scheme === undefined || scheme.length === 1) {
    const file = resolve(value);
    return { kind: 'sqlite', file, display: file, toJSON: () => file };
  }
  const display = redactUrl(value);
  if (!POSTGRES_SCHEMES.has(scheme)) throw new ConfigError(VARIABLE, `${EXPECTED} (${scheme}: is not supported)`, display);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(VARIABLE, `${EXPECTED}; this URL does not parse`, display);
  }
  if (!value.slice(scheme.length + 1).startsWith('//')) throw new ConfigError(VARIABLE, `${EXPECTED} (${scheme}:// followed by the server)`, display);
  if (url.pathname.length <= 1) throw new ConfigError(VARIABLE, `${EXPECTED} naming its database (postgres://host/<database>)`, display);
  return { kind: 'postgres', url: value, display, toJSON: () => display };
}
