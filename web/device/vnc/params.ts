// What the live-view page reads from its own URL: /vnc/?session=<id>#password=<pw>.
// The password travels in the fragment, which browsers never send to the server.

/** Mirrors SESSION_ID_PATTERN in device/src/sessions/session-schemas.ts (not imported: it would bundle typebox). */
const SESSION_ID = /^[A-Za-z0-9_-]{1,64}$/;

export interface LiveViewParams {
  session: string | null;
  password: string | null;
}

export function readParams(loc: Pick<Location, 'search' | 'hash'>): LiveViewParams {
  const session = new URLSearchParams(loc.search).get('session')?.trim() || null;
  return { session, password: passwordFromHash(loc.hash) };
}

function passwordFromHash(hash: string): string | null {
  return new URLSearchParams(hash.replace(/^#/, '')).get('password') || null;
}

/** The password in a live-view URL's fragment (a SessionView's vnc.http), if any. */
export function passwordFromUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    return passwordFromHash(new URL(url, window.location.href).hash);
  } catch {
    return null;
  }
}

export function isValidSessionId(id: string): boolean {
  return SESSION_ID.test(id);
}

/** Websocket path of a session's VNC stream on the appliance's own port. */
export function vncPath(session: string): string {
  return `/sessions/${encodeURIComponent(session)}/vnc`;
}
