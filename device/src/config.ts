// The device appliance's configuration: the only module that reads process.env.
// Names follow ../shared/DESIGN.md ("Configuration"); extras are OUTPOST_* too and listed in README.
import os from 'node:os';
import { resolve } from 'node:path';
import cron from 'node-cron';
import {
  ConfigError,
  envEnum,
  envInt,
  envLabels,
  envListenHost,
  envNumber,
  envOptionalString,
  envString,
  envToken,
  isLoopbackHost,
  type Env,
} from './shared/env.js';
import { LOG_LEVELS, type LogLevel } from './shared/log.js';
import { readVersion } from './shared/paths.js';

export const BACKENDS = ['process', 'docker'] as const;
export const CAPACITY_POLICIES = ['reject', 'queue', 'recycle'] as const;

export type Backend = (typeof BACKENDS)[number];
export type CapacityPolicy = (typeof CAPACITY_POLICIES)[number];

export interface DeviceConfig {
  host: string;
  port: number;
  apiToken: string | undefined;
  /** The token the fleet monitor sends (OUTPOST_FLEET_DEVICE_TOKEN), accepted like apiToken. */
  fleetToken: string | undefined;
  /**
   * The URL browsers use to reach the appliance when a proxy changes the scheme or host
   * (OUTPOST_PUBLIC_URL): its origin is accepted for websockets, and the API's URLs use it.
   */
  publicUrl: string | undefined;
  dataDir: string;
  logLevel: LogLevel;
  version: string;
  device: { id: string; name: string; labels: Record<string, string> };
  chromiumPath: string;
  /** chromedriver for the WebDriver routes (Debian's chromium-driver). */
  chromedriverPath: string;
  backend: Backend;
  sessions: {
    maxSessions: number;
    capacityPolicy: CapacityPolicy;
    queueLength: number;
    queueTimeoutS: number;
    poolHeadless: number;
    poolVnc: number;
    ttlS: number;
    idleS: number;
    maxTtlS: number;
    maxIdleS: number;
    defaultWidth: number;
    defaultHeight: number;
    displayBase: number;
    /** node-cron expression of the TTL/idle sweep (OUTPOST_CLEANUP_SCHEDULE or every OUTPOST_REAP_INTERVAL_S). */
    cleanupSchedule: string;
    /** Admission by host pressure (OUTPOST_ADMIT_MAX_CPU_PCT / _MEMORY_PCT): null is off. */
    admitMaxCpuPct: number | null;
    admitMaxMemoryPct: number | null;
  };
  /** Recordings, downloads and logs that outlive a session (issue 15). */
  artifacts: {
    /** OUTPOST_ARTIFACT_RETENTION_H: hours an ended session's artifacts are kept. */
    retentionH: number;
    /** OUTPOST_ARTIFACT_MAX_MB: all artifacts together; the oldest ended session's go first. */
    maxMb: number;
    /** OUTPOST_RECORDING_FPS: frames per second of a recording. */
    recordingFps: number;
    /** OUTPOST_RECORDING_SIZE (WIDTHxHEIGHT): recordings are scaled down to fit it; null keeps the session's size. */
    recordingSize: { width: number; height: number } | null;
  };
  docker: {
    image: string;
    network: string;
    subnet: string;
    portMin: number;
    portMax: number;
    healthTimeoutS: number;
    memoryMb: number;
  };
  payloadContainer: string | undefined;
  dockerSocket: string;
  hostRefreshS: number;
  alerts: { diskPct: number; memoryPct: number; temperatureC: number };
  update: { channel: string; stateFile: string };
}

/** Default capacity from host size: about one browser per 512 MiB, four per core, at least two. */
export function defaultMaxSessions(totalMemBytes = os.totalmem(), cores = os.cpus().length): number {
  const byMemory = Math.floor(totalMemBytes / (512 * 1024 * 1024));
  return Math.max(2, Math.min(cores * 4, byMemory, 64));
}

export function loadDeviceConfig(env: Env = process.env): DeviceConfig {
  const host = envListenHost(env, 'OUTPOST_HOST', '127.0.0.1');
  const apiToken = envToken(env, 'OUTPOST_API_TOKEN');
  const fleetToken = envToken(env, 'OUTPOST_FLEET_DEVICE_TOKEN');
  if (!isLoopbackHost(host) && apiToken === undefined && fleetToken === undefined) {
    throw new ConfigError('OUTPOST_API_TOKEN', `a token because OUTPOST_HOST=${host} is not a loopback address (the API would be open to the network)`, undefined);
  }
  const deviceId = envString(env, 'OUTPOST_DEVICE_ID', os.hostname(), {
    pattern: '^[A-Za-z0-9][A-Za-z0-9_.\\-]{0,62}$',
    expected: 'an id of letters, digits, _ . - (at most 63 characters)',
  });
  const ttlS = envInt(env, 'OUTPOST_SESSION_TTL_S', 3600, 10, 7 * 24 * 3600);
  const idleS = envInt(env, 'OUTPOST_SESSION_IDLE_S', 600, 5, 7 * 24 * 3600);
  const dataDir = resolve(envString(env, 'OUTPOST_DATA_DIR', './data'));
  const version = readVersion();
  const reapS = envInt(env, 'OUTPOST_REAP_INTERVAL_S', 5, 1, 3600);
  const cleanupSchedule = envString(env, 'OUTPOST_CLEANUP_SCHEDULE', reapS < 60 ? `*/${reapS} * * * * *` : `*/${Math.max(1, Math.round(reapS / 60))} * * * *`);
  if (!cron.validate(cleanupSchedule)) {
    throw new ConfigError('OUTPOST_CLEANUP_SCHEDULE', 'a cron expression (5 fields, or 6 with seconds first)', cleanupSchedule);
  }
  const portMin = envInt(env, 'OUTPOST_DOCKER_PORT_MIN', 20000, 1024, 65534);
  const portMax = envInt(env, 'OUTPOST_DOCKER_PORT_MAX', 20199, portMin + 1, 65535);
  return {
    host,
    port: envInt(env, 'OUTPOST_PORT', 8080, 0, 65535),
    apiToken,
    fleetToken,
    publicUrl: envOptionalString(env, 'OUTPOST_PUBLIC_URL', { pattern: '^https?://[^/?#\\s]+/?$', expected: 'an http(s) URL without a path, such as https://kiosk-7.example' }),
    dataDir,
    logLevel: envEnum(env, 'OUTPOST_LOG_LEVEL', LOG_LEVELS, 'info'),
    version,
    device: {
      id: deviceId,
      name: envString(env, 'OUTPOST_DEVICE_NAME', deviceId),
      labels: envLabels(env, 'OUTPOST_DEVICE_LABELS'),
    },
    chromiumPath: envString(env, 'OUTPOST_CHROMIUM_PATH', '/usr/lib/chromium/chromium', {
      pattern: '^/',
      expected: 'an absolute path to the chromium binary',
    }),
    chromedriverPath: envString(env, 'OUTPOST_CHROMEDRIVER_PATH', '/usr/bin/chromedriver', {
      pattern: '^/',
      expected: 'an absolute path to chromedriver',
    }),
    backend: envEnum(env, 'OUTPOST_BACKEND', BACKENDS, 'process'),
    sessions: {
      maxSessions: envInt(env, 'OUTPOST_MAX_SESSIONS', defaultMaxSessions(), 1, 1000),
      capacityPolicy: envEnum(env, 'OUTPOST_CAPACITY_POLICY', CAPACITY_POLICIES, 'reject'),
      queueLength: envInt(env, 'OUTPOST_QUEUE_LENGTH', 16, 1, 10000),
      queueTimeoutS: envInt(env, 'OUTPOST_QUEUE_TIMEOUT_S', 30, 1, 3600),
      poolHeadless: envInt(env, 'OUTPOST_POOL_HEADLESS', 1, 0, 100),
      poolVnc: envInt(env, 'OUTPOST_POOL_VNC', 1, 0, 100),
      ttlS,
      idleS,
      maxTtlS: envInt(env, 'OUTPOST_SESSION_MAX_TTL_S', Math.max(ttlS, 24 * 3600), ttlS, 30 * 24 * 3600),
      maxIdleS: envInt(env, 'OUTPOST_SESSION_MAX_IDLE_S', Math.max(idleS, 4 * 3600), idleS, 30 * 24 * 3600),
      defaultWidth: envInt(env, 'OUTPOST_SESSION_WIDTH', 1280, 200, 7680),
      defaultHeight: envInt(env, 'OUTPOST_SESSION_HEIGHT', 800, 200, 4320),
      displayBase: envInt(env, 'OUTPOST_DISPLAY_BASE', 100, 1, 60000),
      cleanupSchedule,
      admitMaxCpuPct: envOptionalPct(env, 'OUTPOST_ADMIT_MAX_CPU_PCT'),
      admitMaxMemoryPct: envOptionalPct(env, 'OUTPOST_ADMIT_MAX_MEMORY_PCT'),
    },
    artifacts: {
      retentionH: envNumber(env, 'OUTPOST_ARTIFACT_RETENTION_H', 24, 0, 24 * 365),
      maxMb: envInt(env, 'OUTPOST_ARTIFACT_MAX_MB', 2048, 1, 1024 * 1024),
      recordingFps: envInt(env, 'OUTPOST_RECORDING_FPS', 10, 1, 60),
      recordingSize: envSize(env, 'OUTPOST_RECORDING_SIZE'),
    },
    docker: {
      image: envString(env, 'OUTPOST_DOCKER_IMAGE', `outpost-session:${version}`, {
        pattern: '^[a-z0-9][a-z0-9._/:@\\-]*$',
        expected: 'a Docker image reference',
      }),
      network: envString(env, 'OUTPOST_DOCKER_NETWORK', 'outpost-sessions', {
        pattern: '^[A-Za-z0-9][A-Za-z0-9_.\\-]*$',
        expected: 'a Docker network name',
      }),
      subnet: envString(env, 'OUTPOST_DOCKER_SUBNET', '10.89.0.0/24', {
        pattern: '^\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}/\\d{1,2}$',
        expected: 'an IPv4 subnet in CIDR form (10.89.0.0/24)',
      }),
      portMin,
      portMax,
      healthTimeoutS: envInt(env, 'OUTPOST_DOCKER_HEALTH_TIMEOUT_S', 60, 1, 3600),
      memoryMb: envInt(env, 'OUTPOST_DOCKER_MEMORY_MB', 0, 0, 1024 * 1024),
    },
    payloadContainer: envOptionalString(env, 'OUTPOST_PAYLOAD_CONTAINER', {
      pattern: '^/?[A-Za-z0-9][A-Za-z0-9_.\\-]*$',
      expected: 'a Docker container name',
    }),
    dockerSocket: envString(env, 'OUTPOST_DOCKER_SOCKET', '/var/run/docker.sock', {
      pattern: '^/',
      expected: 'an absolute path to the Docker engine socket',
    }),
    hostRefreshS: envNumber(env, 'OUTPOST_HOST_REFRESH_S', 5, 0.2, 3600),
    alerts: {
      diskPct: envInt(env, 'OUTPOST_ALERT_DISK_PCT', 90, 1, 100),
      memoryPct: envInt(env, 'OUTPOST_ALERT_MEMORY_PCT', 90, 1, 100),
      temperatureC: envInt(env, 'OUTPOST_ALERT_TEMP_C', 80, 20, 150),
    },
    update: {
      channel: envString(env, 'OUTPOST_UPDATE_CHANNEL', 'stable', {
        pattern: '^[a-z0-9][a-z0-9_\\-]{0,31}$',
        expected: 'a channel name of lowercase letters, digits, _ -',
      }),
      // Written by scripts/update.sh as root; deployed, it is /var/lib/outpost-update/state.json.
      stateFile: resolve(envString(env, 'OUTPOST_UPDATE_STATE_FILE', resolve(dataDir, 'update-state.json'))),
    },
  };
}

/** A percentage from 1 to 100, or null when the variable is unset or empty (the feature is off). */
function envOptionalPct(env: Env, name: string): number | null {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? null : envInt(env, name, 100, 1, 100);
}

/** WIDTHxHEIGHT (even numbers from 2 up, as the video encoder takes them), or null when unset. */
function envSize(env: Env, name: string): { width: number; height: number } | null {
  const raw = envOptionalString(env, name, { pattern: '^[1-9][0-9]{0,4}x[1-9][0-9]{0,4}$', expected: 'WIDTHxHEIGHT, such as 1280x720' });
  if (raw === undefined) return null;
  const [width, height] = raw.split('x').map(Number) as [number, number];
  if (width % 2 !== 0 || height % 2 !== 0 || width > 7680 || height > 4320) {
    throw new ConfigError(name, 'even numbers up to 7680x4320 (the video encoder needs even sizes)', raw);
  }
  return { width, height };
}
