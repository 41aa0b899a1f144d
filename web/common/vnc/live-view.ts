// The standalone live-view page (/vnc/?session=<id>#password=<pw>): noVNC connected to the
// session's VNC websocket on the appliance's own port (/sessions/<id>/vnc).
import RFB from '@novnc/novnc';
import { setToken, wsUrl } from '../api';
import { isValidSessionId, passwordFromUrl, readParams, vncPath } from './params';
import { blockingReason, probeSession, type Probe } from './probe';
import { RETRY_DELAYS_MS, retryDelayMs } from './retry';
import './vnc.css';

type State = 'idle' | 'connecting' | 'connected' | 'disconnected' | 'error' | 'auth';
type PromptKind = 'password' | 'token';

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`live view: #${id} missing from the page`);
  return el as T;
}

const ui = {
  status: byId('vnc-status'),
  session: byId('vnc-session'),
  screen: byId('vnc-screen'),
  viewOnly: byId<HTMLButtonElement>('vnc-view-only'),
  reconnect: byId<HTMLButtonElement>('vnc-reconnect'),
  fullscreen: byId<HTMLButtonElement>('vnc-fullscreen'),
  prompt: byId<HTMLFormElement>('vnc-prompt'),
  promptLabel: byId('vnc-prompt-label'),
  promptInput: byId<HTMLInputElement>('vnc-prompt-input'),
  promptHint: byId('vnc-prompt-hint'),
};

/** One RFB connection attempt. `open` until its disconnect event (the RFB object is single-use). */
interface Attempt {
  rfb: RFB;
  open: boolean;
  connected: boolean;
  awaitingCredentials: boolean;
  securityFailure: string | null;
}

const params = readParams(window.location);
let password = params.password;
let viewOnly = false;
let current: Attempt | null = null;
/** Bumped by every connect(); events and probes of older attempts are ignored. */
let generation = 0;
let promptKind: PromptKind | null = null;
/** Attempts in a row that ended without (or after losing) a connection; reset by a connection. */
let failures = 0;
let retryTimer: number | undefined;

function setStatus(state: State, text: string): void {
  ui.status.textContent = text;
  ui.status.dataset.state = state;
  ui.status.title = text;
}

function showMessage(text: string | null): void {
  ui.screen.querySelector('.vnc-message')?.remove();
  if (!text) return;
  const p = document.createElement('p');
  p.className = 'vnc-message';
  p.textContent = text;
  ui.screen.appendChild(p);
}

function showPrompt(kind: PromptKind, hint = ''): void {
  promptKind = kind;
  ui.promptLabel.textContent = kind === 'token' ? 'API token' : 'VNC password';
  ui.promptInput.setAttribute('aria-label', kind === 'token' ? 'API token' : 'VNC password');
  ui.promptHint.textContent =
    hint || (kind === 'token' ? 'This appliance requires an API token. It is kept in this browser only.' : 'The session asks for its VNC password.');
  ui.promptInput.value = '';
  ui.prompt.hidden = false;
  ui.promptInput.focus();
}

function hidePrompt(): void {
  promptKind = null;
  ui.prompt.hidden = true;
}

/** Shows why a probe rules out connecting; returns true when it does. */
function handleBlocked(probe: Probe): boolean {
  const reason = blockingReason(probe);
  if (!reason) return false;
  if (probe.kind === 'unauthorized') {
    setStatus('auth', reason);
    showPrompt('token');
  } else {
    setStatus('error', reason);
    showMessage(reason);
  }
  return true;
}

/** Ends the current attempt (if still open) and waits briefly for noVNC to remove its screen. */
async function closeCurrent(): Promise<void> {
  const old = current;
  current = null;
  if (!old?.open) return;
  await new Promise<void>((resolve) => {
    const timer = window.setTimeout(resolve, 1000);
    old.rfb.addEventListener('disconnect', () => {
      window.clearTimeout(timer);
      resolve();
    });
    old.rfb.disconnect();
  });
}

/** A connection asked for by the operator (page load, Reconnect, a prompt) starts a fresh run of retries. */
function connectNow(session: string): void {
  failures = 0;
  void connect(session);
}

async function connect(session: string): Promise<void> {
  const gen = ++generation;
  window.clearTimeout(retryTimer);
  hidePrompt();
  showMessage(null);
  setStatus('connecting', 'checking session…');
  await closeCurrent();
  const probe = await probeSession(session);
  if (gen !== generation || handleBlocked(probe)) return;
  if (probe.kind === 'ok') {
    ui.session.textContent = `${session} · ${probe.session.width}×${probe.session.height}`;
    // Opened without the #password fragment: the API (which this browser may call) has it in vnc.http.
    password ??= passwordFromUrl(probe.session.vnc?.http);
  }

  setStatus('connecting', 'connecting…');
  const rfb = new RFB(ui.screen, wsUrl(vncPath(session)), password ? { credentials: { password } } : {});
  const attempt: Attempt = { rfb, open: true, connected: false, awaitingCredentials: false, securityFailure: null };
  current = attempt;
  rfb.scaleViewport = true;
  rfb.resizeSession = false;
  rfb.viewOnly = viewOnly;
  rfb.background = '#0b0f17';
  const stale = () => gen !== generation;

  rfb.addEventListener('connect', () => {
    if (stale()) return;
    attempt.connected = true;
    attempt.awaitingCredentials = false;
    failures = 0;
    hidePrompt();
    setStatus('connected', connectedText());
  });
  rfb.addEventListener('credentialsrequired', () => {
    if (stale()) return;
    attempt.awaitingCredentials = true;
    setStatus('auth', 'password required');
    showPrompt('password');
  });
  rfb.addEventListener('securityfailure', (ev) => {
    if (stale()) return;
    attempt.securityFailure = ev.detail.reason || `security failure (status ${ev.detail.status})`;
  });
  rfb.addEventListener('disconnect', () => {
    attempt.open = false;
    if (stale()) return;
    void explainDisconnect(session, gen, attempt);
  });
}

/** Turns a disconnect into a status line; asks the API whether the token or the session is the cause. */
async function explainDisconnect(session: string, gen: number, attempt: Attempt): Promise<void> {
  if (attempt.securityFailure) {
    password = null;
    setStatus('auth', `disconnected: authentication failed (${attempt.securityFailure})`);
    showPrompt('password', 'The VNC password was not accepted. Enter it to try again.');
    return;
  }
  setStatus('disconnected', 'disconnected: checking why…');
  const probe = await probeSession(session);
  if (gen !== generation || handleBlocked(probe)) return;
  // The session lives on, so the stream may come back (it was still starting, the appliance
  // restarted, the network dropped): try again after a pause, a bounded number of times.
  const what = attempt.connected ? 'connection lost' : 'could not open the VNC stream';
  failures += 1;
  const delay = retryDelayMs(failures);
  if (delay === null) {
    setStatus('disconnected', `disconnected: ${what} (${RETRY_DELAYS_MS.length} retries failed; press Reconnect)`);
    return;
  }
  setStatus('connecting', `${what}; retrying in ${Math.round(delay / 1000)} s (${failures} of ${RETRY_DELAYS_MS.length})`);
  // Any newer connect() clears this timer, so it never outlives its attempt.
  retryTimer = window.setTimeout(() => void connect(session), delay);
}

function connectedText(): string {
  return viewOnly ? 'connected (view only)' : 'connected';
}

function toggleViewOnly(): void {
  viewOnly = !viewOnly;
  if (current) current.rfb.viewOnly = viewOnly;
  ui.viewOnly.setAttribute('aria-pressed', String(viewOnly));
  if (current?.connected && current.open) setStatus('connected', connectedText());
}

function toggleFullscreen(): void {
  if (document.fullscreenElement) void document.exitFullscreen();
  else
    void document.documentElement.requestFullscreen().catch((e: unknown) => {
      ui.fullscreen.title = `Fullscreen refused: ${e instanceof Error ? e.message : String(e)}`;
    });
}

function submitPrompt(session: string, ev: SubmitEvent): void {
  ev.preventDefault();
  const value = ui.promptInput.value.trim();
  if (!value) return;
  if (promptKind === 'token') {
    setToken(value);
    connectNow(session);
  } else if (promptKind === 'password') {
    password = value;
    if (current?.open && current.awaitingCredentials) {
      current.awaitingCredentials = false;
      hidePrompt();
      setStatus('connecting', 'authenticating…');
      current.rfb.sendCredentials({ password: value });
    } else {
      connectNow(session);
    }
  }
}

function main(): void {
  const session = params.session;
  const problem = !session
    ? 'No session given. Open this page as /vnc/?session=<id> (the device UI links here from its Sessions page).'
    : !isValidSessionId(session)
      ? `"${session}" is not a valid session id.`
      : null;
  if (problem || !session) {
    setStatus('error', session ? 'invalid session id' : 'no session given');
    showMessage(problem);
    for (const b of [ui.viewOnly, ui.reconnect]) b.disabled = true;
    return;
  }
  document.title = `Live view · ${session}`;
  ui.session.textContent = session;
  ui.viewOnly.addEventListener('click', toggleViewOnly);
  ui.reconnect.addEventListener('click', () => connectNow(session));
  ui.prompt.addEventListener('submit', (ev) => submitPrompt(session, ev));
  connectNow(session);
}

ui.fullscreen.disabled = !document.fullscreenEnabled;
ui.fullscreen.addEventListener('click', toggleFullscreen);
document.addEventListener('fullscreenchange', () => {
  ui.fullscreen.textContent = document.fullscreenElement ? 'Exit fullscreen' : 'Fullscreen';
});
main();
