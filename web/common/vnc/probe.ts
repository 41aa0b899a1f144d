// Asks the API about the session before (and after a failed) VNC connection. Browsers do not
// expose the HTTP status of a refused websocket, so a 401 or a vanished session is found here.
import { ApiError, api } from '../api';
import type { SessionView } from '../../../device/src/shared/index';
import { currentDevice, sessionApiPath } from './params';

export type Probe =
  | { kind: 'ok'; session: SessionView }
  | { kind: 'unauthorized' }
  | { kind: 'not_found' }
  | { kind: 'ended' }
  | { kind: 'no_vnc' }
  /** Fleet monitor only: the session's device is not online or did not answer (409/502 from the relay). */
  | { kind: 'device_down'; message: string }
  | { kind: 'unknown'; message: string };

/** `device` is the fleet monitor's ?device= (the monitor answers for its devices); null on a device. */
export async function probeSession(id: string, device: string | null = currentDevice()): Promise<Probe> {
  try {
    const session = await api<SessionView>('GET', sessionApiPath(id, device));
    if (session.status === 'closed' || session.status === 'closing') return { kind: 'ended' };
    if (!session.vnc_enabled || !session.vnc) return { kind: 'no_vnc' };
    return { kind: 'ok', session };
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return { kind: 'unauthorized' };
    if (e instanceof ApiError && e.status === 404) return { kind: 'not_found' };
    if (e instanceof ApiError && (e.code === 'device_not_online' || e.code === 'device_unreachable')) return { kind: 'device_down', message: e.message };
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
    case 'device_down':
      return p.message;
    default:
      return null;
  }
}
