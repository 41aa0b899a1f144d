// The public shape of a session. URLs point at the appliance's own port: at the configured public
// URL (OUTPOST_PUBLIC_URL), or as the client reached it. API clients need absolute URLs (a
// ws_endpoint goes straight to chromium.connect) and they asked with that Host; a redirect, which a
// browser follows, never uses it (redirectBase).
import type { FastifyRequest } from 'fastify';
import type { Session, SessionManager } from './session-manager.js';
import { statSync } from 'node:fs';
import type { ArtifactRecord, RecordingView, SessionView } from '../shared/session-schemas.js';

export interface PublicBase {
  http: string;
  ws: string;
}

/** URLs relative to whatever origin the browser is on. */
export const SAME_ORIGIN: PublicBase = { http: '', ws: '' };

function configuredBase(publicUrl: string): PublicBase {
  const base = publicUrl.replace(/\/$/, '');
  return { http: base, ws: base.replace(/^http/, 'ws') };
}

/** For API answers: the configured public URL, else the scheme and Host the client used. */
export function publicBase(req: FastifyRequest, publicUrl?: string): PublicBase {
  if (publicUrl) return configuredBase(publicUrl);
  const secure = req.protocol === 'https';
  const host = req.host || `${req.hostname}`;
  return { http: `${secure ? 'https' : 'http'}://${host}`, ws: `${secure ? 'wss' : 'ws'}://${host}` };
}

/**
 * For redirects, which a browser follows with the live view's password: the configured public URL
 * (the orchestrator redirected to its configured VNC_HOST), else relative. Never the Host header:
 * whoever forges it would get the password (session-view.test.ts, cross-site.int.test.ts).
 */
export function redirectBase(publicUrl?: string): PublicBase {
  return publicUrl ? configuredBase(publicUrl) : SAME_ORIGIN;
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
    profile: s.profile,
    headless: s.headless,
    vnc_enabled: s.vnc,
    ws_endpoint: `${base.ws}/sessions/${s.id}/playwright`,
    cdp_endpoint: s.browser?.cdp ? `${base.ws}/sessions/${s.id}/cdp` : null,
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
    recording: recordingView(s, `${base.http}/api/sessions/${s.id}/recording`),
  };
}

/** The recording's state and size now, or null for a session that is not recorded. */
export function recordingView(s: Session, url?: string): RecordingView | null {
  if (!s.recording) return null;
  const size = statSync(s.recording.path, { throwIfNoEntry: false })?.size ?? 0;
  return { ...s.recording.state(), size_bytes: size, ...(url ? { url } : {}) };
}

/** The record kept with a session's artifacts (artifacts.ts); `ended` once it has. */
export function toArtifactRecord(s: Session, ended: { at: number; reason: string } | null): ArtifactRecord {
  return {
    id: s.id,
    client_id: s.clientId,
    profile: s.profile,
    protocol: s.protocol,
    headless: s.headless,
    vnc_enabled: s.vnc,
    width: s.width,
    height: s.height,
    labels: s.labels,
    start_url: s.startUrl,
    created_at: new Date(s.createdAt).toISOString(),
    ended_at: ended ? new Date(ended.at).toISOString() : null,
    end_reason: ended?.reason ?? null,
    recording: recordingView(s),
    downloads: 0,
    size_bytes: 0,
  };
}
