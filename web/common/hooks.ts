// Small hooks shared by both UIs.
import { useEffect, useState } from 'react';

/** The current time in ms, refreshed every `intervalMs`, so relative times ("3m ago") keep moving. */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = window.setInterval(() => setNow(Date.now()), intervalMs);
    return () => window.clearInterval(t);
  }, [intervalMs]);
  return now;
}
