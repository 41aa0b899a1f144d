// A page of a list endpoint with its total: the server answers the rows of one page and the number
// of matches before paging in `x-total-count`, which api() in ./api.ts does not expose.
import { ApiError, apiError, getToken } from './api';

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
  if (!res.ok) throw apiError(res, data);
  if (!Array.isArray(data)) throw new ApiError(res.status, 'bad_response', `expected a JSON array from ${path}`);
  const header = Number(res.headers.get('x-total-count'));
  return { items: data as T[], total: Number.isFinite(header) && res.headers.has('x-total-count') ? header : data.length };
}
