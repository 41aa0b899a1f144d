// Small hooks of the fleet dashboard.
import { useCallback, useEffect, useRef, useState, type RefCallback } from 'react';
import type { DeviceFilters } from './api';
import { filtersFromSearch, filtersToSearch } from './device-model';

/** `value`, once it has stopped changing for `ms` (the search box waits for a pause in typing). */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = window.setTimeout(() => setSettled(value), ms);
    return () => window.clearTimeout(t);
  }, [value, ms]);
  return settled;
}

/**
 * The device-list filters, kept in the query string (replaceState, so filtering does not fill the
 * history) and re-read on back/forward or when a link such as /?version=1.2.3 is followed.
 */
export function useUrlFilters(): [DeviceFilters, (change: Partial<DeviceFilters>) => void] {
  const [filters, setFilters] = useState(() => filtersFromSearch(window.location.search));
  useEffect(() => {
    const on = () => setFilters(filtersFromSearch(window.location.search));
    window.addEventListener('popstate', on);
    return () => window.removeEventListener('popstate', on);
  }, []);
  const update = useCallback(
    (change: Partial<DeviceFilters>) => {
      const next = { ...filters, ...change };
      window.history.replaceState(null, '', `${window.location.pathname}${filtersToSearch(next)}`);
      setFilters(next);
    },
    [filters],
  );
  return [filters, update];
}

/** The width of an element in CSS px, kept up to date (0 until it is laid out). */
export function useWidth<T extends HTMLElement>(): [RefCallback<T>, number] {
  const [width, setWidth] = useState(0);
  const observer = useRef<ResizeObserver | null>(null);
  const ref = useCallback((el: T | null) => {
    observer.current?.disconnect();
    observer.current = null;
    if (!el) return;
    setWidth(el.clientWidth);
    observer.current = new ResizeObserver(([entry]) => setWidth(Math.round(entry?.contentRect.width ?? 0)));
    observer.current.observe(el);
  }, []);
  return [ref, width];
}
