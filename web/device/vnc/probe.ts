// Asks the API about the session before (and after a failed) VNC connection. Browsers do not
// expose the HTTP status of a refused websocket, so a 401 or a vanished session is found here.
import { ApiError, api } from '@common/api';
import type { SessionView } from '../../../device/src/sessions/session-schemas';

export type Probe =
  | { kind: 'ok'; session: SessionView }
  | { kind: 'unauthorized' }
  | { kind: 'not_found' }
  | { kind: 'ended' }
  | { kind: 'no_vnc' }
  | { kind: 'unknown'; message: string };

export async function probeSession(id: string): Promise<Probe> {
  try {
    const session = await api<SessionView>('GET', `/api/sessions/${encodeURIComponent(id)}`);
    if (session.status === 'closed' || session.status === 'closing') return { kind: 'ended' };
    if (!session.vnc_enabled || !session.vnc) return { kind: 'no_vnc' };
    return { kind: 'ok', session };
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return { kind: 'unauthorized' };
    if (e instanceof ApiError && e.status === 404) return { kind: 'not_found' };
    return { kind: 'unknown', message: e instanceof Error ? e.message : String(e) };
  }
}

/** The status line for a probe that rules out connecting, or null when a connection may work. */
export function blockingReason(p: Probe): string | null {
  switch (p.kind) {
    case 'unauthorized':
      return 'API token required';
    case 'not_found':
      return 'session not found (it ended or expired)';
    case 'ended':
      return 'session has ended';
    case 'no_vnc':
      return 'this session has no live view (started without VNC)';
    default:
      return null;
  }
}
