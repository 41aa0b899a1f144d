// A page of a list endpoint with its total: the server answers the rows of one page and the number
// of matches before paging in `x-total-count`, which api() in ./api.ts does not expose.
import { ApiError, getToken } from './api';

export interface ListPage<T> {
  items: T[];
  /** Matches before paging; the page length when the server sent no x-total-count. */
  total: number;
}

export async function apiList<T>(path: string, signal?: AbortSignal): Promise<ListPage<T>> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(path, { headers, signal });
  const text = await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = text;
  }
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(res.status, err?.code ?? `http_${res.status}`, err?.message ?? (res.statusText || 'request failed'));
  }
  if (!Array.isArray(data)) throw new ApiError(res.status, 'bad_response', `expected a JSON array from ${path}`);
  const header = Number(res.headers.get('x-total-count'));
  return { items: data as T[], total: Number.isFinite(header) && res.headers.has('x-total-count') ? header : data.length };
}
