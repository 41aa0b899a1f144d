// The fleet monitor's configuration as a new operator gets it wrong: each mistake stops the monitor
// at boot with a message naming the variable (and the line, never the secret on it).
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir, testToken } from '../../device/test/index.js';
import { loadFleetConfig } from './config.js';

/** A password of the test's own: only its redaction is under test. */
const PW = `pw-${randomBytes(6).toString('hex')}`;

describe('OUTPOST_FLEET_TOKENS_FILE', () => {
  const dir = tempDir('outpost-fleet-config-');
  afterAll(() => dir.remove());
  const TOKEN = testToken();
  const file = (text: string) => {
    const path = join(dir.path, `tokens-${Math.random().toString(36).slice(2)}`);
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  };
  const load = (text: string, env: Record<string, string> = { OUTPOST_FLEET_TOKEN: TOKEN }) => loadFleetConfig({ ...env, OUTPOST_FLEET_TOKENS_FILE: file(text) });

  it('reads one named token per line, skipping comments and blank lines', () => {
    const [a, b] = [testToken(), testToken()];
    expect(load(`# ops\nalice ${a}\n\n  ci-bot@lab\t${b}  \n`).namedTokens).toEqual([
      { name: 'alice', token: a },
      { name: 'ci-bot@lab', token: b },
    ]);
    expect(loadFleetConfig({}).namedTokens).toEqual([]);
  });

  it('stops at boot on a bad file, naming the variable and the line but not the token', () => {
    const secret = testToken();
    const cases: Array<[string, RegExp]> = [
      [`alice\n`, /a token of at least 16 printable characters without spaces for alice/],
      [`alice ${secret} extra\n`, /lines of "<name> <token>"/],
      [`al/ice ${secret}\n`, /lines of "<name> <token>"/],
      [`alice short\n`, /a token of at least 16 printable characters without spaces for alice/],
      [`alice ${secret}\nalice ${testToken()}\n`, /one token per name \(alice is given twice\)/],
      [`admin ${secret}\n`, /one token per name \(admin is OUTPOST_FLEET_TOKEN's\)/],
      [`alice ${secret}\nbob ${secret}\n`, /a token of bob of its own/],
      [`alice ${TOKEN}\n`, /a token of alice of its own/],
    ];
    for (const [text, message] of cases) {
      let err: Error | undefined;
      try {
        load(text);
      } catch (e) {
        err = e as Error;
      }
      expect(err?.message, text).toMatch(/^OUTPOST_FLEET_TOKENS_FILE: expected /);
      expect(err?.message, text).toMatch(message);
      expect(err?.message, text).toMatch(/tokens-\w+:\d+"$/);
      expect(err?.message, text).not.toContain(secret);
    }
    expect(() => loadFleetConfig({ OUTPOST_FLEET_TOKENS_FILE: join(dir.path, 'missing') })).toThrow(/^OUTPOST_FLEET_TOKENS_FILE: expected a readable file \(ENOENT\)/);
    // Without the main token the API takes none at all: named ones alone would open nothing.
    expect(() => load(`alice ${secret}\n`, {})).toThrow(/^OUTPOST_FLEET_TOKENS_FILE: expected OUTPOST_FLEET_TOKEN set as well/);
  });
});

describe('OUTPOST_FLEET_DB', () => {
  it('takes a file path as the SQLite store, the data dir beside it', () => {
    const c = loadFleetConfig({ OUTPOST_FLEET_DB: '/var/lib/fleet/fleet.sqlite' });
    expect(c.db).toMatchObject({ kind: 'sqlite', file: '/var/lib/fleet/fleet.sqlite' });
    expect(c.dataDir).toBe('/var/lib/fleet');
  });

  it('takes a postgres:// URL, keeping its password out of what is logged', () => {
    const c = loadFleetConfig({ OUTPOST_FLEET_DB: `postgres://outpost:${PW}@db.fleet.internal:5432/fleet`, OUTPOST_FLEET_DATA_DIR: '/var/lib/fleet' });
    expect(c.db).toMatchObject({ kind: 'postgres', url: `postgres://outpost:${PW}@db.fleet.internal:5432/fleet`, display: 'postgres://outpost:***@db.fleet.internal:5432/fleet' });
    expect(JSON.stringify({ db: c.db })).toBe('{"db":"postgres://outpost:***@db.fleet.internal:5432/fleet"}');
    expect(c.dataDir).toBe('/var/lib/fleet');
  });

  it('stops at boot, naming the variable, on a URL of another kind, without its password', () => {
    expect(() => loadFleetConfig({ OUTPOST_FLEET_DB: `mysql://outpost:${PW}@db/fleet` })).toThrow(
      'OUTPOST_FLEET_DB: expected a file path or a postgres:// (postgresql://) URL (mysql: is not supported), got "mysql://outpost:***@db/fleet"',
    );
    expect(() => loadFleetConfig({ OUTPOST_FLEET_DB: 'http://db.fleet.internal/fleet' })).toThrow(/^OUTPOST_FLEET_DB: .*http: is not supported/);
  });
});

describe('monitors sharing a store', () => {
  it('names this monitor <hostname>:<port> unless told, and refuses a name or lease that cannot work', () => {
    const c = loadFleetConfig({ OUTPOST_FLEET_PORT: '9123' });
    expect(c.cluster.monitorId).toMatch(/:9123$/);
    expect(c.cluster.leaseS).toBe(15);
    expect(loadFleetConfig({ OUTPOST_FLEET_MONITOR_ID: 'fleet-b.vpn:9000', OUTPOST_FLEET_LEASE_S: '5' }).cluster).toEqual({ monitorId: 'fleet-b.vpn:9000', leaseS: 5 });
    expect(() => loadFleetConfig({ OUTPOST_FLEET_MONITOR_ID: 'two words' })).toThrow(/OUTPOST_FLEET_MONITOR_ID: expected a monitor name of letters, digits and _.:@- \(up to 64\)/);
    expect(() => loadFleetConfig({ OUTPOST_FLEET_LEASE_S: '0' })).toThrow(/OUTPOST_FLEET_LEASE_S/);
  });

  it('serves release files from OUTPOST_FLEET_RELEASES_DIR when given (a mount every monitor sees)', () => {
    expect(loadFleetConfig({ OUTPOST_FLEET_RELEASES_DIR: '/srv/outpost-releases' }).updates.releasesDir).toBe('/srv/outpost-releases');
    expect(loadFleetConfig({ OUTPOST_FLEET_DATA_DIR: '/var/lib/outpost-fleet' }).updates.releasesDir).toBe('/var/lib/outpost-fleet/releases');
  });
});
