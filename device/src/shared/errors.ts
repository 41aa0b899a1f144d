// Named domain errors, mapped to HTTP status codes in one place (statusOf). Services throw these;
// the error handler turns them into { error: { code, message } } bodies.

export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode: number,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadRequestError extends AppError {
  constructor(message: string) {
    super('bad_request', message, 400);
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'missing or invalid bearer token') {
    super('unauthorized', message, 401, { 'www-authenticate': 'Bearer realm="outpost"' });
  }
}

/**
 * A browser marked the request as coming from a page on another site (http/cross-site.ts): such
 * pages, a page inside a session included, cannot act on the service, token or not.
 */
export class CrossSiteRequestError extends AppError {
  constructor(what: string) {
    super('cross_site_request', `refused ${what}: pages on another site cannot act on this service`, 403);
  }
}

/** A token-less service asked under a name that is not its own (DNS rebinding: cross-site.ts). */
export class HostNotAllowedError extends AppError {
  constructor(host: string) {
    super('host_not_allowed', `refused a request for host ${JSON.stringify(host.slice(0, 200))}: without an API token this service answers only to loopback names and its public URL`, 403);
  }
}

export class NotFoundError extends AppError {
  constructor(what: string) {
    super('not_found', what, 404);
  }
}

export class SessionNotFoundError extends AppError {
  constructor(id: string) {
    super('session_not_found', `no session with id ${JSON.stringify(id)}`, 404);
  }
}

export class ClientNotFoundError extends AppError {
  constructor(clientId: string) {
    super('client_not_found', `no session for client ${JSON.stringify(clientId)}`, 404);
  }
}

export class ConflictError extends AppError {
  constructor(code: string, message: string) {
    super(code, message, 409);
  }
}

export class PayloadNotConfiguredError extends AppError {
  constructor() {
    super('payload_not_configured', 'no payload container is configured (set OUTPOST_PAYLOAD_CONTAINER)', 404);
  }
}

export class PayloadMissingError extends AppError {
  constructor(name: string) {
    super('payload_missing', `the payload container ${JSON.stringify(name)} does not exist`, 404);
  }
}

export class DockerUnavailableError extends AppError {
  constructor(detail: string) {
    super('docker_unavailable', `the Docker engine is not reachable: ${detail}`, 503);
  }
}

/** The host is full and the capacity policy says no (reject, or a queue that is full). */
export class CapacityExceededError extends AppError {
  constructor(message: string, retryAfterS?: number) {
    super('capacity_exceeded', message, 429, retryAfterS ? { 'retry-after': String(retryAfterS) } : {});
  }
}

/** A persistent profile already has a live session (one browser per user-data directory). */
export class ProfileInUseError extends AppError {
  constructor(profile: string, sessionId: string) {
    super('profile_in_use', `profile ${JSON.stringify(profile)} is in use by session ${sessionId}; end it first, or create with that session's client_id to get it back`, 409);
  }
}

/** The host is over an admission limit (OUTPOST_ADMIT_MAX_CPU_PCT / _MEMORY_PCT). */
export class HostOverloadedError extends AppError {
  constructor(message: string, retryAfterS: number) {
    super('host_overloaded', message, 429, { 'retry-after': String(Math.max(1, Math.ceil(retryAfterS))) });
  }
}

/** Waited in the queue for a free slot, but none came in time. */
export class QueueTimeoutError extends AppError {
  constructor(waitedS: number) {
    super('queue_timeout', `no session slot became free within ${waitedS}s`, 503, { 'retry-after': '5' });
  }
}

/** Nothing can be freed to make room (all slots busy and nothing recyclable). */
export class NoCapacityError extends AppError {
  constructor(message: string) {
    super('no_capacity', message, 503, { 'retry-after': '10' });
  }
}

export class LaunchFailedError extends AppError {
  constructor(message: string) {
    super('launch_failed', message, 502);
  }
}

/** The session's browser did not answer on its DevTools port. */
export class BrowserUnreachableError extends AppError {
  constructor(id: string, why: string) {
    super('browser_unreachable', `the browser of session ${id} did not answer its DevTools endpoint: ${why}`, 502);
  }
}

/** The appliance is closing: nothing new starts, and creates still waiting give up. */
export class ShuttingDownError extends AppError {
  constructor() {
    super('shutting_down', 'the appliance is shutting down', 503);
  }
}

/** The appliance is draining (an update waits for it, or an operator asked): no new sessions. */
export class DrainingError extends AppError {
  constructor(retryAfterS: number) {
    super('draining', 'the appliance is draining: it takes no new sessions until the drain ends', 503, { 'retry-after': String(retryAfterS) });
  }
}

/** The session's browser went away (or it was ended) before its create could answer. */
export class SessionEndedError extends ConflictError {
  constructor() {
    super('session_ended', 'the session ended while it was starting');
  }
}

/** The session started, but its start_url did not load; the session is ended. */
export class StartUrlFailedError extends AppError {
  constructor(url: string, wait: string, cause: string) {
    super('start_url_failed', `start_url ${url} did not reach "${wait}": ${cause}`, 502);
  }
}

export function statusOf(err: unknown): number {
  if (err instanceof AppError) return err.statusCode;
  const code = (err as { statusCode?: unknown })?.statusCode;
  return typeof code === 'number' && code >= 400 && code < 600 ? code : 500;
}
