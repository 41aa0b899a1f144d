import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../device/src/shared/index.js';
import { parseStoreLocation, redactUrl } from './store-location.js';

/** A password of the test's own: only its redaction is under test. */
const PW = `pw-${randomBytes(6).toString('hex')}`;

describe('store location (OUTPOST_FLEET_DB)', () => {
  it('takes a path as a SQLite file, resolved against the working directory', () => {
    expect(parseStoreLocation('./data/fleet.sqlite')).toMatchObject({ kind: 'sqlite', file: resolve('data/fleet.sqlite'), display: resolve('data/fleet.sqlite') });
    expect(parseStoreLocation('/var/lib/outpost-fleet/fleet.sqlite')).toMatchObject({ kind: 'sqlite', file: '/var/lib/outpost-fleet/fleet.sqlite' });
  });

  it.each([
    [`postgres://outpost:${PW}@db:5432/fleet`, 'postgres://outpost:***@db:5432/fleet'],
    ['postgresql://outpost@db/fleet?sslmode=require', 'postgresql://outpost@db/fleet?sslmode=require'],
    [`postgres://db/fleet?user=outpost&password=${PW}`, 'postgres://db/fleet?user=outpost&password=***'],
    [`POSTGRES://outpost:${PW}@127.0.0.1/fleet`, 'postgres://outpost:***@127.0.0.1/fleet'],
  ])('takes %s as a PostgreSQL store, shown as %s', (url, display) => {
    const location = parseStoreLocation(url);
    expect(location).toMatchObject({ kind: 'postgres', url, display });
    expect(JSON.stringify(location)).toBe(JSON.stringify(display));
    expect(JSON.stringify(location)).not.toContain(PW);
  });

  it.each([
    [`mysql://outpost:${PW}@db/fleet`, 'mysql: is not supported', 'mysql://outpost:***@db/fleet'],
    ['http://db.example/fleet', 'http: is not supported', 'http://db.example/fleet'],
    ['sqlite://fleet.sqlite', 'sqlite: is not supported', 'sqlite://fleet.sqlite'],
    ['postgres:fleet', 'postgres:// followed by the server', 'postgres:fleet'],
    [`postgres://outpost:${PW}@db`, 'naming its database', 'postgres://outpost:***@db'],
    [`postgres://outpost:${PW}@db:99999/fleet`, 'does not parse', 'postgres://outpost:***@db:99999/fleet'],
  ])('refuses %s, naming OUTPOST_FLEET_DB and hiding the password', (value, why, shown) => {
    let err: unknown;
    try {
      parseStoreLocation(value);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variable).toBe('OUTPOST_FLEET_DB');
    expect((err as Error).message).toContain(why);
    expect((err as Error).message).toContain(JSON.stringify(shown));
    expect((err as Error).message).not.toContain(PW);
  });

  it('hides a password even in what does not parse as a URL', () => {
    expect(redactUrl(`postgres://outpost:${PW}@db:99999/fleet`)).toBe('postgres://outpost:***@db:99999/fleet');
    expect(redactUrl(`postgres://db/fleet?password=${PW}&x=1`)).toBe('postgres://db/fleet?password=***&x=1');
  });
});
