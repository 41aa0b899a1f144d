// The host's main workload container (DESIGN.md, "Payload container"). Its state is inspected in
// the background and kept in memory, so status routes never wait on the Docker engine; an absent
// engine or container is a state ("docker_unavailable", "missing"), not a failure.
import type { Log as Logger } from '../shared/log.js';
import type { PayloadState, PayloadStatus } from '../shared/contract.js';
import { errorText, isDockerUnavailable, isNotFound, isNotModified, type DockerClient } from '../docker/docker-client.js';
import { ConflictError, DockerUnavailableError, PayloadMissingError } from '../shared/errors.js';
import { imageVersion } from '../docker/image-ref.js';

export interface PayloadDetails extends PayloadStatus {
  health: string | null;
  container_id: string | null;
  error: string | null;
  checked_at: string;
}

export interface PayloadLogLine {
  stream: 'stdout' | 'stderr';
  time: string | null;
  text: string;
}

export type PayloadAction = 'start' | 'stop' | 'restart';

export interface PayloadService {
  readonly name: string;
  /** The contract view for /api/fleet/status. */
  status(): PayloadStatus;
  details(): PayloadDetails;
  refresh(): Promise<PayloadDetails>;
  act(action: PayloadAction): Promise<PayloadDetails>;
  logs(lines: number): Promise<PayloadLogLine[]>;
  close(): void;
}

/**
 * Docker multiplexes stdout and stderr of a container without a TTY into frames of
 * [stream, 0, 0, 0, size(4, big endian)] + payload; a TTY container sends raw text.
 */
export function demuxDockerLogs(buf: Buffer, tty: boolean): PayloadLogLine[] {
  const chunks: Array<{ stream: 'stdout' | 'stderr'; text: string }> = [];
  if (tty) {
    chunks.push({ stream: 'stdout', text: buf.toString('utf8') });
  } else {
    let off = 0;
    while (off + 8 <= buf.length) {
      const type = buf[off];
      const size = buf.readUInt32BE(off + 4);
      const end = Math.min(buf.length, off + 8 + size);
      chunks.push({ stream: type === 2 ? 'stderr' : 'stdout', text: buf.subarray(off + 8, end).toString('utf8') });
      off = end;
    }
  }
  const lines: PayloadLogLine[] = [];
  for (const c of chunks) {
    for (const raw of c.text.split('\n')) {
      if (raw === '') continue;
      // With timestamps: "2026-11-22T10:00:00.123456789Z text"
      const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z) (.*)$/s.exec(raw);
      lines.push({ stream: c.stream, time: m ? new Date(m[1]!).toISOString() : null, text: (m ? m[2]! : raw).replace(/\r$/, '') });
    }
  }
  return lines;
}

const KNOWN_STATES = new Set<PayloadState>(['running', 'created', 'restarting', 'paused', 'exited', 'removing', 'dead']);

function blank(name: string, state: PayloadState, error: string | null): PayloadDetails {
  return {
    name,
    state,
    image: null,
    version: null,
    started_at: null,
    restarts: 0,
    health: null,
    container_id: null,
    error,
    checked_at: new Date().toISOString(),
  };
}

export async function inspectPayload(docker: DockerClient, name: string): Promise<PayloadDetails> {
  try {
    const info = await docker.getContainer(name).inspect();
    const raw = info.State?.Status as PayloadState | undefined;
    const state: PayloadState = raw && KNOWN_STATES.has(raw) ? raw : 'dead';
    const image = info.Config?.Image ?? null;
    const started = info.State?.StartedAt;
    return {
      name,
      state,
      image,
      version: image ? imageVersion(image) : null,
      started_at: state === 'running' && started && !started.startsWith('0001-') ? new Date(started).toISOString() : null,
      restarts: info.RestartCount ?? 0,
      health: info.State?.Health?.Status ?? null,
      container_id: info.Id ?? null,
      error: null,
      checked_at: new Date().toISOString(),
    };
  } catch (err) {
    if (isNotFound(err)) return blank(name, 'missing', null);
    if (isDockerUnavailable(err)) return blank(name, 'docker_unavailable', errorText(err));
    throw err;
  }
}

export function createPayloadService(opts: {
  docker: DockerClient;
  name: string;
  refreshS: number;
  log: Logger;
}): PayloadService {
  const { docker, name, log } = opts;
  let current = blank(name, 'docker_unavailable', 'not checked yet');
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let inFlight: Promise<PayloadDetails> | undefined;

  function refresh(): Promise<PayloadDetails> {
    inFlight ??= inspectPayload(docker, name)
      .then((d) => {
        if (d.state !== current.state) log.info({ payload: name, from: current.state, to: d.state }, 'payload state changed');
        current = d;
        return d;
      })
      .catch((err: unknown) => {
        log.warn({ err, payload: name }, 'payload inspect failed');
        current = blank(name, 'docker_unavailable', errorText(err));
        return current;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  }

  function schedule(): void {
    if (closed) return;
    timer = setTimeout(() => void refresh().finally(schedule), opts.refreshS * 1000);
    timer.unref();
  }
  schedule();

  /** Run a Docker call against the payload, turning engine errors into named domain errors. */
  async function onContainer<T>(fn: (c: ReturnType<DockerClient['getContainer']>) => Promise<T>): Promise<T> {
    try {
      return await fn(docker.getContainer(name));
    } catch (err) {
      if (isNotFound(err)) throw new PayloadMissingError(name);
      if (isDockerUnavailable(err)) throw new DockerUnavailableError(errorText(err));
      throw err;
    }
  }

  async function act(action: PayloadAction): Promise<PayloadDetails> {
    const before = await refresh();
    if (before.state === 'missing') throw new PayloadMissingError(name);
    if (before.state === 'docker_unavailable') throw new DockerUnavailableError(before.error ?? 'no answer');
    if (action === 'start' && before.state === 'running') {
      throw new ConflictError('payload_already_running', `the payload container ${name} is already running`);
    }
    if (action === 'stop' && before.state !== 'running' && before.state !== 'restarting' && before.state !== 'paused') {
      throw new ConflictError('payload_not_running', `the payload container ${name} is not running (${before.state})`);
    }
    log.info({ payload: name, action }, 'payload action');
    try {
      await onContainer((c) => (action === 'start' ? c.start() : action === 'stop' ? c.stop({ t: 10 }) : c.restart({ t: 10 })));
    } catch (err) {
      // 304: the engine says it already is in that state (a race with another caller).
      if (isNotModified(err)) {
        throw new ConflictError(action === 'start' ? 'payload_already_running' : 'payload_not_running', `the payload container ${name} is already ${action === 'start' ? 'running' : 'stopped'}`);
      }
      throw err;
    }
    return refresh();
  }

  async function logs(lines: number): Promise<PayloadLogLine[]> {
    return onContainer(async (c) => {
      const info = await c.inspect();
      const buf = (await c.logs({ stdout: true, stderr: true, tail: lines, timestamps: true, follow: false })) as unknown as Buffer;
      return demuxDockerLogs(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf)), Boolean(info.Config?.Tty)).slice(-lines);
    });
  }

  return {
    name,
    act,
    logs,
    status: () => ({
      name: current.name,
      state: current.state,
      image: current.image,
      version: current.version,
      started_at: current.started_at,
      restarts: current.restarts,
    }),
    details: () => current,
    refresh,
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
    },
  };
}
