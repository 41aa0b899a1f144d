// The public shape of a session. URLs point at the appliance's own port, as the client reached it.
import type { FastifyRequest } from 'fastify';
import type { Session, SessionManager } from './session-manager.js';
import type { SessionView } from './session-schemas.js';

export interface PublicBase {
  http: string;
  ws: string;
}

export function publicBase(req: FastifyRequest): PublicBase {
  const secure = req.protocol === 'https';
  const host = req.host || `${req.hostname}`;
  return { http: `${secure ? 'https' : 'http'}://${host}`, ws: `${secure ? 'wss' : 'ws'}://${host}` };
}

export function liveViewUrl(base: PublicBase, s: Session): string | null {
  const pw = s.browser?.vnc?.password;
  if (!s.vnc || !pw) return null;
  // The password travels in the fragment, which browsers never send to a server or a log.
  return `${base.http}/vnc/?session=${encodeURIComponent(s.id)}#password=${encodeURIComponent(pw)}`;
}

export function toView(manager: SessionManager, s: Session, base: PublicBase, backend: 'process' | 'docker'): SessionView {
  const http = liveViewUrl(base, s);
  return {
    id: s.id,
    backend,
    status: s.status,
    client_id: s.clientId,
    headless: s.headless,
    vnc_enabled: s.vnc,
    ws_endpoint: `${base.ws}/sessions/${s.id}/playwright`,
    vnc: s.vnc && http ? { ws: `${base.ws}/sessions/${s.id}/vnc`, http, password_protected: true } : null,
    width: s.width,
    height: s.height,
    labels: s.labels,
    start_url: s.startUrl,
    ttl_s: s.ttlS,
    idle_s: s.idleS,
    created_at: new Date(s.createdAt).toISOString(),
    last_seen_at: new Date(s.lastSeenAt).toISOString(),
    expires_at: new Date(Math.min(manager.expiresAt(s), 8.64e15)).toISOString(),
    connections: s.connections.size,
    from_pool: s.fromPool,
  };
}
