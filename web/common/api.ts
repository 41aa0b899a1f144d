// Fetch wrapper shared by both UIs: JSON in and out, the bearer token from localStorage, and
// errors carried as ApiError with the server's { error: { code, message } }.

const TOKEN_KEY = 'outpost.token';
const listeners = new Set<() => void>();

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function getToken(): string | null {
  return localStorage.getItem(TOKEN_KEY);
}

export function setToken(token: string | null): void {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
  for (const l of listeners) l();
}

export function onTokenChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  // A FormData body (file uploads) goes as multipart; the browser sets its boundary.
  const form = typeof FormData !== 'undefined' && body instanceof FormData;
  if (body !== undefined && !form) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : form ? body : JSON.stringify(body) });
  const text = await res.text();
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!res.ok) throw apiError(res, data);
  return data as T;
}

/** The ApiError for a refusal, from the server's { error: { code, message } } when it sent one. */
export function apiError(res: Response, data: unknown): ApiError {
  const err = (data as { error?: { code?: string; message?: string } } | undefined)?.error;
  return new ApiError(res.status, err?.code ?? `http_${res.status}`, err?.message ?? (res.statusText || 'request failed'));
}

/**
 * A file from the API (an export), with the token as a header like every other call: a plain
 * <a href> could not send it. The body is read whole, so this is for files that fit in memory.
 */
export async function apiBlob(path: string): Promise<{ blob: Blob; headers: Headers }> {
  const headers: Record<string, string> = {};
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(path, { headers });
  if (!res.ok) {
    const text = await res.text();
    let data: unknown = undefined;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: the status says enough
    }
    throw apiError(res, data);
  }
  return { blob: await res.blob(), headers: res.headers };
}

/** Websocket URL on the same origin, with the token as ?access_token= (browsers cannot set headers). */
export function wsUrl(path: string): string {
  const url = new URL(path, window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const token = getToken();
  if (token) url.searchParams.set('access_token', token);
  return url.toString();
}

/**
 * Same-origin URL for a <video> element, with the token as ?access_token=: the element cannot
 * send a header. Only the recording routes take the token this way (route config queryToken on
 * the appliance and the monitor); the server's request log redacts it.
 */
export function mediaUrl(path: string): string {
  const url = new URL(path, window.location.href);
  const token = getToken();
  if (token) url.searchParams.set('access_token', token);
  return url.pathname + url.search;
}
