// playwright-core takes about a second to import; the appliance loads it on first use (the first
// session), not at boot, so a restart answers /api/health sooner (update health gates, systemd).
import type { BrowserType } from 'playwright-core';

let loading: Promise<BrowserType> | null = null;

export function chromiumType(): Promise<BrowserType> {
  loading ??= import('playwright-core').then((m) => m.chromium);
  return loading;
}
