// What the live-view page reads from its own URL: /vnc/?session=<id>#password=<pw> on a device,
// /vnc/?device=<deviceId>&session=<id>#password=<pw> under the fleet monitor, which relays the
// session's streams as /sessions/<deviceId>/<id>/…. The password travels in the fragment, which
// browsers never send to the server.

/** Mirrors SESSION_ID_PATTERN in device/src/shared/session-schemas.ts (not imported: it would bundle typebox). */
const SESSION_ID = /^[A-Za-z0-9_-]{1,64}$/;

export interface LiveViewParams {
  session: string | null;
  /** The device the session runs on, when the page is served by the fleet monitor; null on a device. */
  device: string | null;
  password: string | null;
}

export function readParams(loc: Pick<Location, 'search' | 'hash'>): LiveViewParams {
  const session = new URLSearchParams(loc.search).get('session')?.trim() || null;
  return { session, device: deviceFromSearch(loc.search), password: passwordFromHash(loc.hash) };
}

function deviceFromSearch(search: string): string | null {
  return new URLSearchParams(search).get('device')?.trim() || null;
}

/** The ?device= of this page, if any (the default for the path helpers below). */
export function currentDevice(): string | null {
  return typeof window === 'undefined' ? null : deviceFromSearch(window.location.search);
}

/** `/<id>` on a device, `/<deviceId>/<id>` under the fleet monitor. */
function sessionSegment(session: string, device: string | null): string {
  return device ? `${encodeURIComponent(device)}/${encodeURIComponent(session)}` : encodeURIComponent(session);
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

/** Websocket path of a session's VNC stream: on the appliance's own port, or relayed by the fleet monitor. */
export function vncPath(session: string, device: string | null = currentDevice()): string {
  return `/sessions/${sessionSegment(session, device)}/vnc`;
}

/** API path of the session itself (what the probe asks about). */
export function sessionApiPath(session: string, device: string | null = currentDevice()): string {
  return `/api/sessions/${sessionSegment(session, device)}`;
}
