// What a session leaves behind, as both UIs show it (the appliance's and the monitor's artifact
// routes answer the same shapes under a session's API path): recording status, why a session
// ended, log levels, and the paths of a session's artifacts.
import type { RecordingView } from '../../device/src/shared/index';
import { bytes } from './format';
import type { Tone } from './ui';

export type ArtifactView = 'recording' | 'downloads' | 'logs';

/** The artifact routes under a session's API path (`/api/sessions/<id>`, or `/api/sessions/<device>/<id>` on the monitor). */
export function artifactPaths(sessionPath: string) {
  return {
    recording: `${sessionPath}/recording`,
    downloads: `${sessionPath}/downloads`,
    download: (name: string) => `${sessionPath}/downloads/${encodeURIComponent(name)}`,
    logs: `${sessionPath}/logs`,
  };
}

const RECORDING_TONE: Record<RecordingView['status'], Tone> = { recording: 'info', finished: 'ok', failed: 'bad' };

/** "recording · 1.2 MiB", its tone, and what went wrong when it failed (for a title). */
export function recordingSummary(r: RecordingView): { label: string; tone: Tone; detail: string | null } {
  return { label: `${r.status} · ${bytes(r.size_bytes)}`, tone: RECORDING_TONE[r.status] ?? 'muted', detail: r.error };
}

const END_REASONS: Record<string, string> = {
  deleted: 'ended by a client',
  disconnected: 'client disconnected',
  ttl: 'lifetime reached',
  idle: 'idle too long',
  crashed: 'browser crashed',
  evicted: 'evicted for a new session',
  replaced: 'replaced by the same client',
  recycled: 'recycled',
  shutdown: 'appliance shut down',
  appliance_stopped: 'appliance stopped',
  start_url_failed: 'start page failed',
  removed: 'removed by an operator',
  drained: 'ended by a drain',
};

/** Why a session ended, in words; an unknown reason (a newer appliance's) as the device sent it. */
export function endReasonLabel(reason: string | null): string {
  if (reason === null) return '—';
  return END_REASONS[reason] ?? reason;
}

/** A log entry's level as a badge tone: console and browser levels, and the lifecycle's. */
export function logTone(level: string): Tone {
  const l = level.toLowerCase();
  if (l === 'error' || l === 'severe' || l === 'assert') return 'bad';
  if (l === 'warning' || l === 'warn') return 'warn';
  if (l === 'debug' || l === 'verbose' || l === 'trace') return 'muted';
  return 'info';
}
