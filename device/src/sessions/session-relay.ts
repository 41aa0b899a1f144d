// A client's websocket relayed to a session's browser (Playwright's server or a DevTools socket):
// its traffic counts as the session's activity, and the session knows it has a client attached
// until the relay closes, so idle reaping leaves it alone and ending the session closes it.
import type WebSocket from 'ws';
import { relayWebSocket } from '../shared/ws-relay.js';
import type { Session, SessionManager } from './session-manager.js';

export function relayToSession(manager: SessionManager, s: Session, client: WebSocket, target: string, headers: Record<string, string> = {}): void {
  let detach = () => {};
  const relay = relayWebSocket(client, target, headers, { onActivity: () => manager.noteActivity(s), onClose: () => detach() });
  detach = manager.attach(s, relay);
}
