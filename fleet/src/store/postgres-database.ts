// The PostgreSQL store (OUTPOST_FLEET_DB=postgres://…): a small node-postgres pool, the schema
// version in a table (schema_migrations: one row per migration run), the migrations run under an
// advisory lock so that monitors starting at once against one database migrate it once
// (store-database.int.test.ts, "migrates once when several monitors open one database"). Why the
// interface is asynchronous and how the SQL is shared with SQLite: store-database.ts.
import pg from 'pg';
import type { Log } from '../../../device/src/shared/index.js';
import { toPositional, type PositionalSql } from './sql-placeholders.js';
import { latestVersion, type LeaderLock, type Migration, type OpenOptions, type SqlParams, type SqlRunner, type StoreDatabase } from './store-database.js';
import { StoreTooNewError, StoreUnavailableError } from './store-errors.js';
import type { StoreLocation } from './store-location.js';

type PostgresLocation = Extract<StoreLocation, { kind: 'postgres' }>;

// One monitor needs few: the batch's transaction, the API's reads, alert writes.
const POOL_SIZE = 5;
// Held for the migrating transaction only ('outpost' in ASCII): other monitors wait at the lock,
// then find the migrations done.
const MIGRATION_LOCK = 31_372_865_377_891_188n;
// Parameters per multi-row INSERT stay far below PostgreSQL's 65,535.
const ROWS_PER_INSERT = 1000;
const INT8 = 20;

// Timestamps (ms) and ids are BIGINT; node-postgres gives them as strings by default, the store's
// callers (and SQLite) as numbers. Both stay below 2^53.
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

function poolOf(location: PostgresLocation, log: Log | undefined): pg.Pool {
  const pool = new pg.Pool({ connectionString: location.url, max: POOL_SIZE, types, application_name: 'outpost-fleet', connectionTimeoutMillis: 10_000 });
  // An idle connection the server drops (restart, failover) is reported here; unhandled, it would
  // end the process. The pool opens a new one at the next query.
  pool.on('error', (err) => log?.warn({ err, db: location.display }, 'the store lost an idle PostgreSQL connection'));
  return pool;
}

async function versionOf(client: pg.PoolClient): Promise<number | null> {
  const present = await client.query<{ t: string | null }>("SELECT to_regclass('schema_migrations')::text AS t");
  if (present.rows[0]?.t == null) return null;
  const r = await client.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
  return r.rows[0]?.v ?? 0;
}

async function connect(pool: pg.Pool, location: PostgresLocation): Promise<pg.PoolClient> {
  try {
    return await pool.connect();
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new StoreUnavailableError(location.display, (err as Error).message);
  }
}

export async function readPostgresSchemaVersion(location: PostgresLocation): Promise<number> {
  const pool = poolOf(location, undefined);
  try {
    const client = await connect(pool, location);
    try {
      return (await versionOf(client)) ?? 0;
    } finally {
      client.release();
    }
  } finally {
    await pool.end().catch(() => undefined);
  }
}

async function migrate(client: pg.PoolClient, location: PostgresLocation, migrations: readonly Migration[]): Promise<number> {
  const latest = latestVersion(migrations);
  await client.query('BEGIN');
  try {
    await client.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    const found = await versionOf(client);
    // Nothing written yet: a database from a newer release is left as it was.
    if (found !== null && found > latest) throw new StoreTooNewError(location.display, found, latest, 'postgres');
    if (found === null) {
      await client.query(`CREATE TABLE schema_migrations (
  version INTEGER PRIMARY KEY,
  owner TEXT NOT NULL,
  description TEXT NOT NULL,
  applied_at BIGINT NOT NULL
)`);
    }
    const from = found ?? 0;
    for (const m of migrations) {
      if (m.version <= from) continue;
      if (m.postgres.trim() !== '') await client.query(m.postgres);
      await client.query('INSERT INTO schema_migrations (version, owner, description, applied_at) VALUES ($1, $2, $3, $4)', [m.version, m.owner, m.description, Date.now()]);
    }
    await client.query('COMMIT');
    return from;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

type Query = (q: pg.QueryConfig) => Promise<pg.QueryResult>;

/** Each SQL text converted once, and prepared once per connection under its own name. */
function createStatements() {
  const known = new Map<string, PositionalSql & { name: string }>();
  return (sql: string, params: SqlParams | undefined): pg.QueryConfig => {
    let s = known.get(sql);
    if (!s) known.set(sql, (s = { ...toPositional(sql), name: `outpost_${known.size + 1}` }));
    return { name: s.name, text: s.text, values: s.values(params) };
  };
}

function runnerOf(query: Query, statement: ReturnType<typeof createStatements>): SqlRunner {
  return {
    run: async (sql, p) => (await query(statement(sql, p))).rowCount ?? 0,
    all: async <T>(sql: string, p?: SqlParams) => (await query(statement(sql, p))).rows as T[],
    get: async <T>(sql: string, p?: SqlParams) => (await query(statement(sql, p))).rows[0] as T | undefined,
    insert: async (sql, p) => Number((await query(statement(`${sql} RETURNING id`, p))).rows[0]?.id),
    async insertMany(table, columns, rows, tail) {
      for (let at = 0; at < rows.length; at += ROWS_PER_INSERT) {
        const chunk = rows.slice(at, at + ROWS_PER_INSERT);
        const values: unknown[] = [];
        const tuples = chunk.map((r) => `(${columns.map((c) => `$${values.push((r as Record<string, unknown>)[c] ?? null)}`).join(', ')})`);
        // Not named: its text changes with the chunk's length.
        await query({ text: `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}${tail ? ` ${tail}` : ''}`, values });
      }
    },
  };
}

/**
 * A session advisory lock on a client of its own (not the pool's: a pooled connection would carry
 * the lock to whatever query borrowed it next). PostgreSQL ends the lock with the session, so a
 * monitor killed with SIGKILL, or cut off, loses it as soon as the server sees the connection go.
 * hold() on a held lock runs a query on that connection, so a connection that died quietly is
 * found out at the next check; a check that does not answer within `checkMs` counts as lost.
 */
function advisoryLock(location: PostgresLocation, key: bigint, log: Log | undefined, onLost: (() => void) | undefined, checkMs = 5000): LeaderLock {
  let client: pg.Client | null = null;
  let held = false;
  const lose = (c: pg.Client, why: string, err?: unknown) => {
    if (client !== c) return;
    client = null;
    void c.end().catch(() => undefined);
    if (held) {
      held = false;
      log?.warn({ err, db: location.display }, `the leader lock was lost (${why})`);
      onLost?.();
    }
  };
  return {
    async hold() {
      let c = client;
      try {
        if (!c) {
          c = client = new pg.Client({ connectionString: location.url, application_name: 'outpost-fleet-leader', keepAlive: true, query_timeout: checkMs, connectionTimeoutMillis: checkMs });
          const mine = c;
          c.on('error', (err) => lose(mine, 'connection error', err));
          c.on('end', () => lose(mine, 'connection closed'));
          await c.connect();
        }
        const r = await c.query<{ ok: boolean }>(held ? 'SELECT true AS ok' : `SELECT pg_try_advisory_lock(${key}) AS ok`);
        if (client !== c) return false;
        held = r.rows[0]?.ok === true;
        return held;
      } catch (err) {
        if (c) lose(c, 'check failed', err);
        return false;
      }
    },
    held: () => held,
    async release() {
      const c = client;
      client = null;
      held = false;
      // Ending the session releases the lock.
      if (c) await c.end().catch(() => undefined);
    },
  };
}

export async function openPostgresDatabase(location: PostgresLocation, migrations: readonly Migration[], opts: OpenOptions): Promise<StoreDatabase> {
  const pool = poolOf(location, opts.log);
  const client = await connect(pool, location);
  let from: number;
  try {
    from = await migrate(client, location, migrations);
  } catch (err) {
    client.release();
    await pool.end().catch(() => undefined);
    throw err;
  }
  client.release();

  const statement = createStatements();
  let closing: Promise<void> | undefined;
  return {
    dialect: 'postgres',
    schema: { from, to: latestVersion(migrations) },
    shared: true,
    now: async () => Number((await pool.query<{ ms: string }>('SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS ms')).rows[0]!.ms),
    leaderLock: (key, o) => advisoryLock(location, key, opts.log, o?.onLost),
    ...runnerOf((q) => pool.query(q), statement),
    async transaction<R>(fn: (tx: SqlRunner) => Promise<R>): Promise<R> {
      const tx = await pool.connect();
      let broken: Error | undefined;
      try {
        await tx.query('BEGIN');
        const result = await fn(runnerOf((q) => tx.query(q), statement));
        await tx.query('COMMIT');
        return result;
      } catch (err) {
        // A connection that cannot even roll back is not given back to the pool.
        await tx.query('ROLLBACK').catch((e: Error) => (broken = e));
        throw err;
      } finally {
        tx.release(broken);
      }
    },
    close: () => (closing ??= pool.end()),
  };
}
