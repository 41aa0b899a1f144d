// One dockerode client per process (STYLE.md rule 9), created here and injected everywhere.
import Docker from 'dockerode';

export type DockerClient = Docker;

export function createDockerClient(socketPath: string): DockerClient {
  return new Docker({ socketPath, timeout: 30_000 });
}

/** Engine not running, socket missing or not permitted: the engine is unavailable, not the container. */
export function isDockerUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return (
    code === 'ENOENT' ||
    code === 'ECONNREFUSED' ||
    code === 'EACCES' ||
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    code === 'ETIMEDOUT' ||
    (err as { statusCode?: unknown })?.statusCode === 502
  );
}

export function isNotFound(err: unknown): boolean {
  return (err as { statusCode?: unknown })?.statusCode === 404;
}

export function isNotModified(err: unknown): boolean {
  return (err as { statusCode?: unknown })?.statusCode === 304;
}

export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const json = (err as { json?: { message?: string } }).json;
    return json?.message ?? err.message;
  }
  return String(err);
}
