// Fresh, empty stores for tests that run the same cases on SQLite and PostgreSQL
// (describe.each over STORE_KINDS). Call useTestStores() once at the top of a test file: the
// PostgreSQL cluster (postgres-cluster.ts) is started at the first PostgreSQL store the file asks
// for, and stopped after the file; SQLite stores are files in temp dirs, removed after each test.
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, afterEach } from 'vitest';
import { tempDir } from '../../device/test/index.js';
import { toPositional } from '../src/store/sql-placeholders.js';
import { parseStoreLocation, type StoreLocation } from '../src/store/store-location.js';
import { startPostgresCluster, type PostgresCluster } from './postgres-cluster.js';

export type StoreKind = 'sqlite' | 'postgres';
export const STORE_KINDS: readonly StoreKind[] = ['sqlite', 'postgres'];

export interface TestStores {
  /** A location no store has used yet. */
  fresh(kind: StoreKind): Promise<StoreLocation>;
  /** The file's cluster (started on first use). */
  cluster(): Promise<PostgresCluster>;
}

export function useTestStores(): TestStores {
  let cluster: Promise<PostgresCluster> | undefined;
  const dirs: Array<{ remove: () => void }> = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) d.remove();
  });
  afterAll(async () => {
    // A cluster that failed to start has cleaned up after itself.
    await (await cluster?.catch(() => undefined))?.stop();
  });
  const getCluster = () => (cluster ??= startPostgresCluster());
  return {
    cluster: getCluster,
    async fresh(kind) {
      if (kind === 'postgres') return parseStoreLocation(await (await getCluster()).createDatabase());
      const dir = tempDir('outpost-store-');
      dirs.push(dir);
      return parseStoreLocation(`${dir.path}/fleet.sqlite`);
    },
  };
}

/** A look at a store from outside it, to set up and check what the store's own API cannot. */
export interface StorePeek {
  /** Tables, sorted, without PostgreSQL's schema_migrations. */
  tables(): Promise<string[]>;
  /** Each table's columns, in order. */
  columns(): Promise<Record<string, string[]>>;
  /** The schema version (user_version; the highest row of schema_migrations), 0 for none. */
  version(): Promise<number>;
  /** Marks the store as migrated to `v` by some release. */
  setVersion(v: number): Promise<void>;
  /** One statement with `?` parameters, or several without. */
  exec(sql: string, params?: unknown[]): Promise<void>;
  close(): Promise<void>;
}

export async function peekStore(location: StoreLocation): Promise<StorePeek> {
  if (location.kind === 'sqlite') {
    const db = new Database(location.file);
    const tables = () => (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>).map((t) => t.name);
    return {
      tables: async () => tables(),
      columns: async () => Object.fromEntries(tables().map((t) => [t, (db.pragma(`table_info(${t})`) as Array<{ name: string }>).map((c) => c.name)])),
      version: async () => db.pragma('user_version', { simple: true }) as number,
      setVersion: async (v) => void db.pragma(`user_version = ${v}`),
      exec: async (sql, params) => void (params ? db.prepare(sql).run(...params) : db.exec(sql)),
      close: async () => void db.close(),
    };
  }
  const client = new pg.Client({ connectionString: location.url });
  await client.connect();
  const tables = async () =>
    (await client.query<{ t: string }>("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'schema_migrations' ORDER BY 1")).rows.map((r) => r.t);
  return {
    tables,
    async columns() {
      const rows = (await client.query<{ t: string; c: string }>("SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'schema_migrations' ORDER BY table_name, ordinal_position")).rows;
      const out: Record<string, string[]> = {};
      for (const r of rows) (out[r.t] ??= []).push(r.c);
      return out;
    },
    async version() {
      if ((await client.query("SELECT to_regclass('schema_migrations') AS t")).rows[0].t === null) return 0;
      return Number((await client.query('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations')).rows[0].v);
    },
    setVersion: async (v) =>
      void (await client.query("INSERT INTO schema_migrations (version, owner, description, applied_at) VALUES ($1, 'test', 'a newer release', 0)", [v])),
    exec: async (sql, params) => void (params ? await client.query(toPositional(sql).text, params) : await client.query(sql)),
    close: () => client.end(),
  };
}
