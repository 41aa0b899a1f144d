// The fleet monitor's configuration: the only module of fleet/ that reads process.env.
// Names follow ../shared/DESIGN.md ("Configuration"); extras are OUTPOST_FLEET_* / OUTPOST_ALERT_*.
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { parseStoreLocation, type StoreLocation } from './store/store-location.js';
import { parseReleasePublicKey } from './updates/release-verify.js';
import { ConfigError, type Env, envEnum, envInt, envListenWithToken, envNumber, envOptionalString, envString, envToken, LOG_LEVELS, TOKEN_RULE, type LogLevel, readVersion } from '../../device/src/shared/index.js';

export interface FleetConfig {
  host: string;
  port: number;
  token: string | undefined;
  /** More API tokens, one per person or tool, by name (OUTPOST_FLEET_TOKENS_FILE); the history says whose. */
  namedTokens: Array<{ name: string; token: string }>;
  logLevel: LogLevel;
  version: string;
  /** Public base URL of the dashboard, for links in notifications (optional). */
  publicUrl: string | undefined;
  inventory: string | undefined;
  /** Only hosts of this inventory group are devices (default: "devices" when the group exists). */
  inventoryGroup: string | undefined;
  /** host:port of the device watched when no inventory is configured (npm start). */
  localDevice: { address: string; port: number };
  deviceToken: string | undefined;
  /** OUTPOST_FLEET_DB: a SQLite file or a PostgreSQL URL (store/store-location.ts). */
  db: StoreLocation;
  dataDir: string;
  /** Several monitors on one PostgreSQL store (cluster/cluster.ts); with SQLite only `monitorId` is shown. */
  cluster: {
    /** OUTPOST_FLEET_MONITOR_ID: this monitor's name in the lease table (default <hostname>:<port>, or <hostname>:pid<pid> on port 0). */
    monitorId: string;
    /** OUTPOST_FLEET_LEASE_S: a monitor that has not renewed its lease for this long has its devices taken over. */
    leaseS: number;
  };
  poll: {
    intervalS: number;
    jitterPct: number;
    timeoutMs: number;
    concurrency: number;
    failuresToOffline: number;
    successesToOnline: number;
    backoffMaxS: number;
  };
  store: {
    snapshotIntervalS: number;
    retentionDays: number;
    pruneSchedule: string;
  };
  alerts: {
    diskPct: number;
    memoryPct: number;
    temperatureC: number;
    reminderS: number;
    ratePerMinute: number;
    targetVersion: string | undefined;
    /** Raw OUTPOST_ALERT_* channel settings, validated by the channels module. */
    channelEnv: Env;
  };
  updates: {
    channels: string[];
    failureThreshold: number;
    /**
     * Release files served to devices: OUTPOST_FLEET_RELEASES_DIR, default ${dataDir}/releases. Monitors
     * sharing a store must all see the same files: a shared mount, or each its own copy (README).
     */
    releasesDir: string;
    /** What devices hold: opens release downloads, manifests and reports only (never the rest of the API). */
    token: string | undefined;
    /** Verifies uploaded releases (OUTPOST_FLEET_RELEASE_PUBKEY); without it, uploads are refused. */
    releasePublicKey: KeyObject | undefined;
    /** Largest tarball an upload may carry (OUTPOST_FLEET_RELEASE_MAX_MB). */
    releaseMaxBytes: number;
  };
}

export function loadFleetConfig(env: Env = process.env): FleetConfig {
  const { host, token } = envListenWithToken(env, 'OUTPOST_FLEET_HOST', 'OUTPOST_FLEET_TOKEN');
  const local = envString(env, 'OUTPOST_FLEET_LOCAL_DEVICE', '127.0.0.1:8080', {
    pattern: '^[A-Za-z0-9.\\-]+:\\d{1,5}$',
    expected: 'host:port of the local device',
  });
  const [localHost, localPort] = local.split(':') as [string, string];
  const db = parseStoreLocation(envString(env, 'OUTPOST_FLEET_DB', './data/fleet.sqlite'));
  const channelEnv: Env = {};
  for (const [k, v] of Object.entries(env)) if (k.startsWith('OUTPOST_ALERT_')) channelEnv[k] = v;
  // Beside the SQLite file by default; with PostgreSQL, ./data as for the file's default.
  const dataDir = resolve(envString(env, 'OUTPOST_FLEET_DATA_DIR', db.kind === 'sqlite' ? resolve(db.file, '..') : './data'));
  const updateToken = envToken(env, 'OUTPOST_FLEET_UPDATE_TOKEN');
  // Devices hold the update token; if it were the API token, every device could run the fleet.
  if (updateToken !== undefined && updateToken === token) {
    throw new ConfigError('OUTPOST_FLEET_UPDATE_TOKEN', 'a token different from OUTPOST_FLEET_TOKEN (devices hold it)', '[the API token]');
  }
  const tokensFile = envOptionalString(env, 'OUTPOST_FLEET_TOKENS_FILE', { expected: 'a path to a file of "<name> <token>" lines' });
  const namedTokens = tokensFile === undefined ? [] : readNamedTokens(tokensFile, [token, updateToken]);
  if (namedTokens.length > 0 && token === undefined) {
    throw new ConfigError('OUTPOST_FLEET_TOKENS_FILE', 'OUTPOST_FLEET_TOKEN set as well (without it the API takes no token at all)', tokensFile);
  }
  const pubkeyPath = envOptionalString(env, 'OUTPOST_FLEET_RELEASE_PUBKEY', { expected: 'a path to the release public key (PEM, ed25519)' });
  const port = envInt(env, 'OUTPOST_FLEET_PORT', 9000, 0, 65535);
  return {
    host,
    port,
    token,
    namedTokens,
    logLevel: envEnum(env, 'OUTPOST_LOG_LEVEL', LOG_LEVELS, 'info'),
    version: readVersion(),
    publicUrl: envOptionalString(env, 'OUTPOST_FLEET_PUBLIC_URL', { pattern: '^https?://', expected: 'an http(s) URL' }),
    inventory: envOptionalString(env, 'OUTPOST_FLEET_INVENTORY', { expected: 'a path to an Ansible inventory or fleet.yaml' }),
    inventoryGroup: envOptionalString(env, 'OUTPOST_FLEET_INVENTORY_GROUP', { pattern: '^[A-Za-z0-9_.\\-]+$', expected: 'an inventory group name' }),
    localDevice: { address: localHost, port: Number(localPort) },
    deviceToken: envToken(env, 'OUTPOST_FLEET_DEVICE_TOKEN'),
    db,
    dataDir,
    cluster: {
      monitorId: envString(env, 'OUTPOST_FLEET_MONITOR_ID', `${hostname()}:${port === 0 ? `pid${process.pid}` : port}`, {
        pattern: '^[A-Za-z0-9][A-Za-z0-9_.:@\\-]{0,63}$',
        expected: 'a monitor name of letters, digits and _.:@- (up to 64)',
      }),
      leaseS: envNumber(env, 'OUTPOST_FLEET_LEASE_S', 15, 1, 3600),
    },
    poll: {
      intervalS: envNumber(env, 'OUTPOST_FLEET_POLL_INTERVAL_S', 15, 0.2, 3600),
      jitterPct: envInt(env, 'OUTPOST_FLEET_POLL_JITTER_PCT', 10, 0, 50),
      timeoutMs: envInt(env, 'OUTPOST_FLEET_POLL_TIMEOUT_MS', 3000, 50, 120_000),
      concurrency: envInt(env, 'OUTPOST_FLEET_POLL_CONCURRENCY', 512, 1, 10_000),
      failuresToOffline: envInt(env, 'OUTPOST_FLEET_FAILURES_TO_OFFLINE', 3, 1, 100),
      successesToOnline: envInt(env, 'OUTPOST_FLEET_SUCCESSES_TO_ONLINE', 2, 1, 100),
      backoffMaxS: envInt(env, 'OUTPOST_FLEET_BACKOFF_MAX_S', 300, 1, 86_400),
    },
    store: {
      snapshotIntervalS: envInt(env, 'OUTPOST_FLEET_SNAPSHOT_INTERVAL_S', 300, 1, 86_400),
      retentionDays: envNumber(env, 'OUTPOST_FLEET_RETENTION_DAYS', 14, 0.001, 3650),
      pruneSchedule: envString(env, 'OUTPOST_FLEET_PRUNE_SCHEDULE', '17 * * * *'),
    },
    alerts: {
      diskPct: envInt(env, 'OUTPOST_FLEET_ALERT_DISK_PCT', 90, 1, 100),
      memoryPct: envInt(env, 'OUTPOST_FLEET_ALERT_MEMORY_PCT', 95, 1, 100),
      temperatureC: envInt(env, 'OUTPOST_FLEET_ALERT_TEMP_C', 85, 20, 150),
      reminderS: envInt(env, 'OUTPOST_ALERT_REMINDER_S', 3600, 10, 7 * 86_400),
      ratePerMinute: envInt(env, 'OUTPOST_ALERT_RATE_PER_MINUTE', 30, 1, 100_000),
      targetVersion: envOptionalString(env, 'OUTPOST_FLEET_TARGET_VERSION', {
        pattern: '^[0-9A-Za-z.+\\-]+$',
        expected: 'a version such as 1.4.2',
      }),
      channelEnv,
    },
    updates: {
      channels: envString(env, 'OUTPOST_FLEET_CHANNELS', 'stable,beta', {
        pattern: '^[a-z0-9][a-z0-9_\\-]*(,[a-z0-9][a-z0-9_\\-]*)*$',
        expected: 'comma-separated channel names',
      }).split(','),
      failureThreshold: envInt(env, 'OUTPOST_FLEET_ROLLOUT_FAILURE_PCT', 20, 0, 100),
      releasesDir: resolve(envString(env, 'OUTPOST_FLEET_RELEASES_DIR', resolve(dataDir, 'releases'))),
      token: updateToken,
      releasePublicKey: pubkeyPath === undefined ? undefined : releasePublicKey(pubkeyPath),
      releaseMaxBytes: envInt(env, 'OUTPOST_FLEET_RELEASE_MAX_MB', 500, 1, 16_384) * 1024 * 1024,
    },
  };
}

const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;
const TOKEN_PATTERN = new RegExp(TOKEN_RULE.pattern);

/**
 * OUTPOST_FLEET_TOKENS_FILE: one `<name> <token>` per line (blank lines and # comments skipped), a
 * token by OUTPOST_FLEET_TOKEN's rule (TOKEN_RULE). Names and tokens are
 * unique, "admin" is OUTPOST_FLEET_TOKEN's, and none may be the API or update token. Errors name the
 * line, never the token on it.
 */
function readNamedTokens(path: string, taken: Array<string | undefined>): Array<{ name: string; token: string }> {
  const variable = 'OUTPOST_FLEET_TOKENS_FILE';
  let text: string;
  try {
    text = readFileSync(resolve(path), 'utf8');
  } catch (err) {
    throw new ConfigError(variable, `a readable file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, path);
  }
  const out: Array<{ name: string; token: string }> = [];
  const names = new Set(['admin']);
  const tokens = new Set(taken.filter((t): t is string => t !== undefined));
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${path}:${i + 1}`;
    const [name = '', token = '', ...rest] = line.split(/\s+/);
    if (!TOKEN_NAME.test(name) || rest.length > 0) throw new ConfigError(variable, 'lines of "<name> <token>", a name of letters, digits and _.@- (up to 64)', where);
    if (token.length < TOKEN_RULE.minLength || !TOKEN_PATTERN.test(token)) throw new ConfigError(variable, `${TOKEN_RULE.expected} for ${name}`, where);
    if (names.has(name)) throw new ConfigError(variable, `one token per name (${name} is ${name === 'admin' ? "OUTPOST_FLEET_TOKEN's" : 'given twice'})`, where);
    if (tokens.has(token)) throw new ConfigError(variable, `a token of ${name} of its own (it is already another token of this monitor)`, where);
    names.add(name);
    tokens.add(token);
    out.push({ name, token });
  });
  return out;
}

/** The key at boot, or a ConfigError naming the variable: an unreadable key would refuse every upload later. */
function releasePublicKey(path: string): KeyObject {
  let pem: Buffer;
  try {
    pem = readFileSync(resolve(path));
  } catch (err) {
    throw new ConfigError('OUTPOST_FLEET_RELEASE_PUBKEY', `a readable PEM file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, path);
  }
  try {
    return parseReleasePublicKey(pem);
  } catch (err) {
    throw new ConfigError('OUTPOST_FLEET_RELEASE_PUBKEY', `the ed25519 release public key, release-signing.pub (${(err as Error).message})`, path);
  }
}
