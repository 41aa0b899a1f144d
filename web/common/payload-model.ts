// Payload container presentation: state tones/labels, which actions make sense in a state, and
// log-line formatting. Shared by the Overview and Payload pages; no React here.
import { ago } from './format';
import type { Tone } from './ui';
import type { PayloadAction, PayloadState } from '../../device/src/shared/index';

export const PAYLOAD_TONE: Record<PayloadState, Tone> = {
  running: 'ok',
  restarting: 'warn',
  paused: 'warn',
  created: 'muted',
  exited: 'bad',
  dead: 'bad',
  removing: 'warn',
  missing: 'bad',
  docker_unavailable: 'bad',
};

export function payloadTone(state: string): Tone {
  return (PAYLOAD_TONE as Record<string, Tone | undefined>)[state] ?? 'muted';
}

/** The state as shown in badges: 'docker_unavailable' → 'docker unavailable'. */
export function payloadStateLabel(state: string): string {
  return state.replace('_', ' ');
}

export const HEALTH_TONE: Record<string, Tone> = {
  healthy: 'ok',
  starting: 'info',
  unhealthy: 'bad',
};

/** States in which there is no container to act on (or no docker to ask). */
const UNACTIONABLE: ReadonlySet<PayloadState> = new Set<PayloadState>(['missing', 'docker_unavailable']);

/** Which of start/stop/restart are enabled for a state (everything is off while an action runs). */
export function payloadActionsEnabled(state: PayloadState, busy: boolean): Record<PayloadAction, boolean> {
  if (busy || UNACTIONABLE.has(state)) return { start: false, stop: false, restart: false };
  const running = state === 'running';
  return { start: !running, stop: running, restart: true };
}

/** Whether the logs endpoint can answer for this state (it 404s/503s like the actions do). */
export function payloadHasLogs(state: PayloadState): boolean {
  return !UNACTIONABLE.has(state);
}

export const LOG_LINE_CHOICES = [100, 200, 500, 1000] as const;
export const DEFAULT_LOG_LINES = 200;

const pad2 = (n: number) => String(n).padStart(2, '0');

/** HH:MM:SS in local time, or null when there is no (valid) time. */
export function logTime(iso: string | null): string | null {
  if (!iso) return null;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return null;
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/**
 * "5m ago" for a server timestamp, never "in 0s": a fresh checked_at can be a little ahead of the
 * once-a-second `now` (or of the browser clock), which should read as just now.
 */
export function agoFromServer(iso: string | null, now: number): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  return ago(iso, Number.isNaN(t) ? now : Math.max(now, t));
}
