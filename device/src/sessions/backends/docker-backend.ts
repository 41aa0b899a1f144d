// OUTPOST_BACKEND=docker: one container per session (the Docker VNC orchestrator's design, on
// dockerode). Containers are labelled (container-labels.ts), live on a dedicated network, publish
// their Playwright and VNC ports on 127.0.0.1 from a configured range, and are handed out only once
// their HEALTHCHECK says healthy. On start, recover() reconciles state.json with the engine: keep
// live recorded containers, remove dead ones, adopt labelled containers without a record, never
// touch unlabelled containers (held by docker-backend.int.test.ts 'reconcile after kill -9').
// A persistent profile is bind-mounted from the host (profileMount) and outlives every container.
import { rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { managedFilter, parseSessionLabels, sessionLabels } from '../../docker/container-labels.js';
import { errorText, isNotFound, type DockerClient } from '../../docker/docker-client.js';
import { allocatePorts, rangeSlots, type PortRange } from '../../docker/port-allocator.js';
import type { Log } from '../../shared/log.js';
import { vncPassword } from './process-backend.js';
import type { BackendRecord, LaunchSpec, LaunchedBrowser, PersistedSession, RecoveredSession, SessionBackend } from './session-backend.js';

export interface DockerBackendOptions {
  docker: DockerClient;
  image: string;
  network: string;
  subnet: string;
  ports: PortRange;
  healthTimeoutS: number;
  memoryMb: number;
  ownerKey: string;
  log: Log;
}

const PLAYWRIGHT_PORT = '3000/tcp';
const VNC_PORT = '5900/tcp';
/** The session image's relay to chromium's DevTools port (entrypoint.mjs). */
const CDP_PORT = '9223/tcp';
const PORTS_PER_SESSION = 3;
/** Where the session image takes a persistent profile as the browser's user-data dir (entrypoint.mjs, USER_DATA_DIR). */
const PROFILE_MOUNT = '/profile';
/** How long a profile's browser gets to close (writing out its cookies) before the container is killed. */
const PROFILE_STOP_S = 10;
/** Chromium's lock of a user-data dir: symlinks naming the host (a container's id) and the pid holding it. */
const PROFILE_LOCK_FILES = ['SingletonLock', 'SingletonSocket', 'SingletonCookie'];

/** The first host address of an IPv4 subnet, used as the bridge gateway (10.89.0.0/24 → 10.89.0.1). */
export function gatewayOf(subnet: string): string {
  const [addr, bits] = subnet.split('/');
  const n = (addr ?? '0.0.0.0').split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const mask = Number(bits) === 0 ? 0 : (0xffffffff << (32 - Number(bits))) >>> 0;
  const gw = ((n & mask) >>> 0) + 1;
  return [24, 16, 8, 0].map((shift) => (gw >>> shift) & 255).join('.');
}

function hostPort(info: Docker.ContainerInspectInfo, port: string): number | null {
  const binding = info.NetworkSettings?.Ports?.[port]?.[0];
  return binding?.HostPort ? Number(binding.HostPort) : null;
}

function envValue(info: Docker.ContainerInspectInfo, name: string): string | null {
  const entry = info.Config?.Env?.find((e) => e.startsWith(`${name}=`));
  return entry ? entry.slice(name.length + 1) : null;
}

/** The host directory a container's browser keeps its persistent profile in, or null. */
function profileDirOf(mounts: Array<{ Type: string; Source: string; Destination: string }> | undefined): string | null {
  return mounts?.find((m) => m.Type === 'bind' && m.Destination === PROFILE_MOUNT)?.Source ?? null;
}

/**
 * A persistent profile's mount, and the user the container then runs as: the directory's owner,
 * which is the appliance's own user (the manager made the directory, 0700). The browser's files
 * then belong to the appliance under systemd too (user outpost), not to root, so the process
 * backend, export and delete keep working on the profile, and nobody else on the host can read it.
 * (Under a userns-remapped or rootless engine the container's uids are not the host's: there the
 * browser cannot write the profile and the session fails to start.)
 */
export async function profileMount(dir: string): Promise<{ user: string; mount: Docker.MountSettings }> {
  const owner = await stat(dir);
  if (!owner.isDirectory()) throw new Error(`the profile ${dir} is not a directory`);
  return { user: `${owner.uid}:${owner.gid}`, mount: { Type: 'bind', Source: dir, Target: PROFILE_MOUNT, ReadOnly: false } };
}

export function createDockerBackend(opts: DockerBackendOptions): SessionBackend & { containerIds(): string[] } {
  const { docker, log } = opts;
  /** Ports held by live containers (and by containers being created). */
  const taken = new Set<number>();
  /** Ports found held by something else on the host, skipped for a while. */
  const blocked = new Map<number, number>();
  const live = new Map<string, { ports: number[]; exited: (why: string) => void; launched: LaunchedBrowser }>();
  let networkReady: Promise<void> | null = null;
  /** Where the published ports' connections reach a container from: only it may use the DevTools relay. */
  let gateway = gatewayOf(opts.subnet);
  let events: Readable | null = null;
  let closed = false;
  let eventsRetry: NodeJS.Timeout | undefined;

  function ensureNetwork(): Promise<void> {
    networkReady ??= (async () => {
      const existing = await docker.listNetworks({ filters: { name: [opts.network] } });
      const found = existing.find((n) => n.Name === opts.network);
      if (found) {
        gateway = found.IPAM?.Config?.[0]?.Gateway ?? gateway;
        return;
      }
      log.info({ network: opts.network, subnet: opts.subnet }, 'creating the session network');
      try {
        await docker.createNetwork({
          Name: opts.network,
          Driver: 'bridge',
          CheckDuplicate: true,
          IPAM: { Config: [{ Subnet: opts.subnet, Gateway: gatewayOf(opts.subnet) }] },
          Labels: { 'outpost.managed': 'true' },
        });
      } catch (err) {
        // Another appliance may have created it between list and create.
        if (!/already exists/.test(errorText(err))) throw err;
      }
    })().catch((err: unknown) => {
      networkReady = null;
      throw err;
    });
    return networkReady;
  }

  /** One event stream for all our containers: a container that dies ends its session. */
  function watchEvents(): void {
    if (closed || events) return;
    docker.getEvents({ filters: { type: ['container'], event: ['die', 'destroy', 'oom'], label: managedFilter(opts.ownerKey) } }, (err, stream) => {
      if (err || !stream) {
        log.warn({ err }, 'cannot watch Docker events; retrying');
        eventsRetry = setTimeout(watchEvents, 2000);
        eventsRetry.unref();
        return;
      }
      if (closed) {
        (stream as Readable).destroy();
        return;
      }
      events = stream as Readable;
      let buf = '';
      events.on('data', (chunk: Buffer) => {
        buf += chunk.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) !== -1) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line) continue;
          try {
            const ev = JSON.parse(line) as { id?: string; status?: string; Action?: string };
            const id = ev.id;
            const entry = id ? live.get(id) : undefined;
            entry?.exited(`container ${ev.Action ?? ev.status}`);
          } catch {
            // not an event line
          }
        }
      });
      const again = () => {
        events = null;
        if (!closed) {
          eventsRetry = setTimeout(watchEvents, 1000);
          eventsRetry.unref();
        }
      };
      events.on('end', again);
      events.on('error', again);
    });
  }

  async function removeContainer(id: string): Promise<void> {
    try {
      await docker.getContainer(id).remove({ force: true, v: true });
    } catch (err) {
      if (!isNotFound(err) && !/removal .* already in progress/.test(errorText(err))) throw err;
    }
  }

  /**
   * Removes a session's container. One on a persistent profile is stopped first: its browser
   * writes out the cookies it still holds in memory and closes. The profile directory stays (a bind
   * mount; `v` removes anonymous volumes only); a lock chromium left there (killed, or not closed in
   * time) names a container that is gone, and would keep the next browser from the profile.
   * Held by docker-backend.int.test.ts 'keeps a profile's cookies from one container to the next'.
   */
  async function retire(id: string, profileDir: string | null): Promise<void> {
    if (profileDir) await docker.getContainer(id).stop({ t: PROFILE_STOP_S }).catch(() => undefined);
    await removeContainer(id);
    if (profileDir) await Promise.all(PROFILE_LOCK_FILES.map((f) => rm(join(profileDir, f), { force: true })));
  }

  function makeLaunched(id: string, name: string, ports: number[], password: string | null, profileDir: string | null, record: BackendRecord): LaunchedBrowser {
    let resolveExit: (why: string) => void = () => {};
    const exited = new Promise<string>((r) => (resolveExit = r));
    let closing: Promise<void> | null = null;
    const launched: LaunchedBrowser = {
      wsEndpoint: `ws://127.0.0.1:${ports[0]}/playwright`,
      vnc: password && ports[1] ? { host: '127.0.0.1', port: ports[1], password } : null,
      // Published on the host's loopback only, like the other two.
      cdp: ports[2] ? { host: '127.0.0.1', port: ports[2] } : null,
      // Downloads and the display stay inside the container: no downloads directory, no recording.
      downloadsDir: null,
      record,
      exited,
      close() {
        closing ??= (async () => {
          live.delete(id);
          await retire(id, profileDir).catch((err: unknown) => log.warn({ err, container: name }, 'removing the container failed'));
          for (const p of ports) taken.delete(p);
        })();
        return closing;
      },
      async memoryBytes() {
        try {
          const stats = (await docker.getContainer(id).stats({ stream: false })) as { memory_stats?: { usage?: number; stats?: { cache?: number; inactive_file?: number } } };
          const m = stats.memory_stats;
          return Math.max(0, (m?.usage ?? 0) - (m?.stats?.inactive_file ?? m?.stats?.cache ?? 0));
        } catch {
          return 0;
        }
      },
    };
    live.set(id, { ports, exited: resolveExit, launched });
    return launched;
  }

  async function waitHealthy(container: Docker.Container, name: string, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + opts.healthTimeoutS * 1000;
    let last = '';
    for (;;) {
      if (signal?.aborted) throw new Error(`the appliance is shutting down; container ${name} was not needed any more`);
      const info = await container.inspect();
      const health = info.State?.Health;
      if (health?.Status === 'healthy') return;
      if (!info.State?.Running) {
        throw new Error(`container ${name} exited (${info.State?.ExitCode}) before it was healthy`);
      }
      if (health?.Status === 'unhealthy') throw new Error(`container ${name} is unhealthy: ${health.Log?.at(-1)?.Output?.trim() ?? ''}`);
      if (!health) throw new Error(`image ${opts.image} has no HEALTHCHECK; the session image must declare one`);
      last = health.Log?.at(-1)?.Output?.trim() ?? last;
      if (Date.now() > deadline) {
        throw new Error(`container ${name} did not become healthy within ${opts.healthTimeoutS}s${last ? ` (last check: ${last.slice(0, 200)})` : ''}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function launch(spec: LaunchSpec): Promise<LaunchedBrowser> {
    if (closed) throw new Error('the docker backend is closed');
    watchEvents();
    await ensureNetwork();
    const wantVnc = spec.vnc;
    const password = wantVnc ? vncPassword() : null;
    const name = `outpost-${spec.pool ? 'pool-' : ''}${spec.id}`.replace(/[^A-Za-z0-9_.-]/g, '_');
    const profile = spec.profileDir ? await profileMount(spec.profileDir) : null;
    const profileName = spec.profileDir ? basename(spec.profileDir) : null;
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const now = Date.now();
      for (const [p, until] of blocked) if (until < now) blocked.delete(p);
      const ports = allocatePorts(opts.ports, new Set([...taken, ...blocked.keys()]), PORTS_PER_SESSION);
      if (!ports) throw new Error(`no free host port in ${opts.ports.min}-${opts.ports.max}`);
      for (const p of ports) taken.add(p);
      const env = [`WIDTH=${spec.width}`, `HEIGHT=${spec.height}`, `HEADLESS=${spec.headless}`, `CDP_ALLOW_FROM=${gateway}`];
      if (password) env.push(`VNC_PASSWORD=${password}`);
      if (profile) env.push(`USER_DATA_DIR=${PROFILE_MOUNT}`);
      let container: Docker.Container | null = null;
      try {
        container = await docker.createContainer({
          name,
          Image: opts.image,
          Env: env,
          Labels: sessionLabels({ session: spec.id, client: spec.clientId, pool: spec.pool, owner: opts.ownerKey, kind: wantVnc ? 'vnc' : 'headless', width: spec.width, height: spec.height, profile: profileName }),
          ...(profile ? { User: profile.user } : {}),
          ExposedPorts: { [PLAYWRIGHT_PORT]: {}, [VNC_PORT]: {}, [CDP_PORT]: {} },
          HostConfig: {
            NetworkMode: opts.network,
            PortBindings: {
              [PLAYWRIGHT_PORT]: [{ HostIp: '127.0.0.1', HostPort: String(ports[0]) }],
              [VNC_PORT]: [{ HostIp: '127.0.0.1', HostPort: String(ports[1]) }],
              [CDP_PORT]: [{ HostIp: '127.0.0.1', HostPort: String(ports[2]) }],
            },
            ...(profile ? { Mounts: [profile.mount] } : {}),
            ShmSize: 256 * 1024 * 1024,
            ...(opts.memoryMb > 0 ? { Memory: opts.memoryMb * 1024 * 1024 } : {}),
            RestartPolicy: { Name: 'no' },
          },
        });
        await container.start();
        await waitHealthy(container, name, spec.signal);
        const record: BackendRecord = { container_id: container.id, container_name: name, ws_port: ports[0]!, vnc_port: ports[1]!, cdp_port: ports[2]!, vnc_password: password };
        log.debug({ container: name, ports }, 'session container healthy');
        return makeLaunched(container.id, name, ports, password, spec.profileDir ?? null, record);
      } catch (err) {
        for (const p of ports) taken.delete(p);
        if (container) await retire(container.id, spec.profileDir ?? null).catch(() => undefined);
        lastError = err;
        // A port someone else holds on the host: take the next ones.
        if (/port is already allocated|address already in use/i.test(errorText(err))) {
          for (const p of ports) blocked.set(p, Date.now() + 60_000);
          continue;
        }
        if (isNotFound(err) && /image/i.test(errorText(err))) {
          throw new Error(`the session image ${opts.image} is not in the local Docker engine (build it: scripts/images/build-session-image.sh)`);
        }
        throw new Error(errorText(err));
      }
    }
    throw lastError instanceof Error ? lastError : new Error(String(lastError));
  }

  async function adopt(info: Docker.ContainerInspectInfo): Promise<LaunchedBrowser | null> {
    const ws = hostPort(info, PLAYWRIGHT_PORT);
    if (!ws || !info.State?.Running) return null;
    if (info.State.Health?.Status === 'unhealthy') return null;
    const vnc = hostPort(info, VNC_PORT);
    // Containers of releases before the DevTools relay have none.
    const cdp = hostPort(info, CDP_PORT);
    const password = envValue(info, 'VNC_PASSWORD');
    for (const p of [ws, vnc, cdp]) if (p) taken.add(p);
    const name = info.Name.replace(/^\//, '');
    return makeLaunched(info.Id, name, [ws, vnc ?? 0, cdp ?? 0], password || null, profileDirOf(info.Mounts), {
      container_id: info.Id,
      container_name: name,
      ws_port: ws,
      vnc_port: vnc,
      cdp_port: cdp,
      vnc_password: password || null,
    });
  }

  return {
    name: 'docker',
    // Profiles yes (a bind mount); the identity fields not yet (session-settings.ts answers 400).
    profiles: true,
    launch,
    slots: () => rangeSlots(opts.ports, PORTS_PER_SESSION),
    containerIds: () => [...live.keys()],
    async recover(records: PersistedSession[]): Promise<RecoveredSession[]> {
      watchEvents();
      const listed = await docker.listContainers({ all: true, filters: { label: managedFilter(opts.ownerKey) } });
      // Inspect every candidate at once: with many containers this is most of the restart time.
      const inspected = new Map<string, Docker.ContainerInspectInfo | null>(
        await Promise.all(
          listed.map(async (c) => [c.Id, c.State === 'running' ? await docker.getContainer(c.Id).inspect().catch(() => null) : null] as const),
        ),
      );
      const recovered: RecoveredSession[] = [];
      const claimed = new Set<string>();
      const doomed: string[] = [];
      const mounts = new Map(listed.map((c) => [c.Id, c.Mounts] as const));
      for (const r of records) {
        const id = typeof r.record.container_id === 'string' ? r.record.container_id : null;
        if (!id || !inspected.has(id)) continue; // the container is gone: drop the record
        if (claimed.has(id)) continue; // a duplicate record: keep the first
        claimed.add(id);
        const info = inspected.get(id);
        const launched = info ? await adopt(info) : null;
        if (launched) recovered.push({ persisted: r, browser: launched });
        else doomed.push(id);
      }
      for (const c of listed) {
        if (claimed.has(c.Id)) continue;
        // Ours by its labels but not in state.json (written before the crash could record it).
        const labels = parseSessionLabels(c.Labels);
        const info = inspected.get(c.Id);
        const launched = labels && info ? await adopt(info) : null;
        if (!labels || !info || !launched) {
          doomed.push(c.Id);
          continue;
        }
        recovered.push({
          browser: launched,
          persisted: {
            id: labels.session,
            kind: labels.kind,
            headless: envValue(info, 'HEADLESS') !== 'false',
            vnc: labels.kind === 'vnc',
            width: labels.width,
            height: labels.height,
            client_id: labels.client,
            profile: labels.profile,
            labels: {},
            start_url: null,
            ttl_s: 0,
            idle_s: 0,
            pool: labels.pool,
            from_pool: false,
            created_at: new Date(c.Created * 1000).toISOString(),
            last_seen_at: new Date().toISOString(),
            ttl_deadline: null,
            backend: 'docker',
            record: launched.record,
          },
        });
      }
      // A dead container's profile stays, only its stale lock goes (retire).
      await Promise.all(doomed.map((id) => retire(id, profileDirOf(mounts.get(id))).catch((err: unknown) => log.warn({ err, container: id }, 'cannot remove a dead container'))));
      if (records.length > 0 || listed.length > 0) {
        log.info({ records: records.length, containers: listed.length, adopted: recovered.length, removed: doomed.length }, 'reconciled session containers');
      }
      return recovered;
    },
    async close() {
      closed = true;
      clearTimeout(eventsRetry);
      events?.destroy();
      await Promise.all([...live.values()].map((e) => e.launched.close()));
    },
  };
}
