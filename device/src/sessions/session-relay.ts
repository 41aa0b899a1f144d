// A client's websocket relayed to a session's browser (Playwright's server or a DevTools socket):
// its traffic counts as the session's activity, and the session knows it has a client attached
// until the relay closes, so idle reaping leaves it alone and ending the session closes it.
import type { FastifyRequest } from 'fastify';
import type WebSocket from 'ws';
import { relayWebSocket } from '../shared/ws-relay.js';
import type { Session, SessionManager } from './session-manager.js';

export function relayToSession(manager: SessionManager, s: Session, client: WebSocket, target: string, headers: Record<string, string> = {}): void {
  let detach = () => {};
  const relay = relayWebSocket(client, target, headers, { onActivity: () => manager.noteActivity(s), onClose: () => detach() });
  detach = manager.attach(s, relay);
}

/** What Playwright's server reads from the client's upgrade (its version and options). */
export function playwrightHeaders(req: FastifyRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (typeof v === 'string' && (k === 'user-agent' || k.startsWith('x-playwright'))) headers[k] = v;
  }
  return headers;
}
