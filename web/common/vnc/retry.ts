// When the live view tries again by itself. A stream can drop while the session lives on: the
// session was still starting, the appliance restarted, the VPN hiccuped. The page then reconnects
// with a growing pause, and after a few failures in a row leaves it to the Reconnect button.

/** Pauses before the 1st, 2nd, … automatic retry after a failure in a row. */
export const RETRY_DELAYS_MS = [1000, 2000, 4000, 8000, 15000] as const;

/** The pause before the next retry after `failures` failed attempts in a row, or null to stop. */
export function retryDelayMs(failures: number): number | null {
  if (!Number.isInteger(failures) || failures < 1) return null;
  return RETRY_DELAYS_MS[failures - 1] ?? null;
}
