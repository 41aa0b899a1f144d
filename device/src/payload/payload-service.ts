// The host's main workload container (DESIGN.md, "Payload container"). Its state is inspected in
// the background and kept in memory, so status routes never wait on the Docker engine; an absent
// engine or container is a state ("docker_unavailable", "missing"), not a failure.
import type { Log as Logger } from '../log.js';
import type { PayloadState, PayloadStatus } from '../contract.js';
import { errorText, isDockerUnavailable, isNotFound, type DockerClient } from '../docker/docker-client.js';
import { imageVersion } from '../docker/image-ref.js';

export interface PayloadDetails extends PayloadStatus {
  health: string | null;
  container_id: string | null;
  error: string | null;
  checked_at: string;
}

export interface PayloadService {
  readonly name: string;
  /** The contract view for /api/fleet/status. */
  status(): PayloadStatus;
  details(): PayloadDetails;
  refresh(): Promise<PayloadDetails>;
  close(): void;
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

  return {
    name,
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
