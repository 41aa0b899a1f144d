// The device list as a sparse, paged cache: only the pages on (or near) the screen are observed,
// so only they are fetched and refetched every POLL_MS; the rest of 10,000 devices stays on the server.
import { useQueries } from '@tanstack/react-query';
import { useRef } from 'react';
import { PAGE_SIZE, devicePageQuery, type DeviceFilters, type DeviceView } from './api';

export interface DevicePages {
  /** Matching devices (x-total-count); 0 until a page has answered. */
  total: number;
  /** True until some page has answered (false once one has failed). The caller remounts per filter. */
  loading: boolean;
  error: unknown;
  /** The device at a list index, or undefined while its page loads. */
  rowAt: (index: number) => DeviceView | undefined;
}

export function useDevicePages(filters: DeviceFilters, span: [number, number]): DevicePages {
  const pages: number[] = [];
  for (let p = span[0]; p <= span[1]; p++) pages.push(p);
  const results = useQueries({ queries: pages.map((p) => devicePageQuery(filters, p)) });

  // Pages refetch independently; the most recent answer has the freshest count.
  let total: number | undefined;
  let newest = -1;
  const byPage = new Map<number, DeviceView[]>();
  let error: unknown = null;
  results.forEach((r, i) => {
    if (r.error) error = r.error;
    if (!r.data) return;
    byPage.set(pages[i]!, r.data.items);
    if (r.dataUpdatedAt > newest) {
      newest = r.dataUpdatedAt;
      total = r.data.total;
    }
  });
  // Scrolled onto pages not loaded yet, no observed page has a count: keep the last one, or the
  // list would collapse to nothing, lose its scroll position and ask for page 0 again.
  const lastTotal = useRef<number | null>(null);
  if (total !== undefined) lastTotal.current = total;

  return {
    total: lastTotal.current ?? 0,
    loading: lastTotal.current === null && !error,
    error,
    rowAt: (index) => byPage.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE],
  };
}
