// Session presentation and create-form logic, kept out of the components.
import type { Tone } from './ui';
import { duration } from './format';
import type { CreateSessionBody, SessionView } from '../../device/src/shared/index';

export type SessionKind = 'headless' | 'vnc';

/** The create form as typed: every text field a string, empty meaning "server default". */
export interface CreateForm {
  kind: SessionKind;
  startUrl: string;
  width: string;
  height: string;
  clientId: string;
  profile: string;
  ttl: string;
  /** Record the screen: a VNC session only (a headless one has none to record). */
  record: boolean;
  /** URL patterns, separated by spaces or new lines. */
  blockUrls: string;
  /** Installed extensions' names, separated by spaces or commas. */
  extensions: string;
}

export const EMPTY_CREATE_FORM: CreateForm = { kind: 'headless', startUrl: '', width: '', height: '', clientId: '', profile: '', ttl: '', record: false, blockUrls: '', extensions: '' };

export type BuildResult = { ok: true; body: CreateSessionBody } | { ok: false; error: string };

function optionalInt(label: string, raw: string): { value?: number; error?: string } {
  const s = raw.trim();
  if (!s) return {};
  if (!/^\d+$/.test(s)) return { error: `${label} must be a whole number` };
  return { value: Number(s) };
}

/**
 * The POST /api/sessions body for the form: the kind always, other fields only when filled in.
 * Ranges (sizes, TTL limits, URL format) are the server's to check; its message is shown as is.
 */
export function buildCreateBody(form: CreateForm): BuildResult {
  const body: CreateSessionBody = form.kind === 'vnc' ? { headless: false, vnc: true } : { headless: true, vnc: false };
  const startUrl = form.startUrl.trim();
  if (startUrl) body.start_url = startUrl;
  const clientId = form.clientId.trim();
  if (clientId) body.client_id = clientId;
  const profile = form.profile.trim();
  if (profile) body.profile = profile;
  // The box stays ticked when the kind changes to headless, but shows unticked and disabled: what
  // is sent is what is shown.
  if (form.record && form.kind === 'vnc') body.record = true;
  // A pattern may hold a comma (a query string); names never do.
  const blockUrls = form.blockUrls.split(/\s+/).filter(Boolean);
  if (blockUrls.length > 0) body.block_urls = blockUrls;
  const extensions = form.extensions.split(/[\s,]+/).filter(Boolean);
  if (extensions.length > 0) body.extensions = extensions;
  const numbers = [
    ['width', 'Width', form.width],
    ['height', 'Height', form.height],
    ['ttl_s', 'TTL', form.ttl],
  ] as const;
  for (const [key, label, raw] of numbers) {
    const n = optionalInt(label, raw);
    if (n.error) return { ok: false, error: n.error };
    if (n.value !== undefined) body[key] = n.value;
  }
  return { ok: true, body };
}

export function shortId(id: string): string {
  return id.length > 8 ? id.slice(0, 8) : id;
}

export function kindLabel(s: Pick<SessionView, 'vnc_enabled' | 'headless'>): string {
  if (s.vnc_enabled) return 'VNC';
  return s.headless ? 'headless' : 'headed';
}

export const STATUS_TONE: Record<SessionView['status'], Tone> = {
  starting: 'info',
  ready: 'ok',
  closing: 'warn',
  closed: 'muted',
};

export function playwrightSnippet(wsEndpoint: string): string {
  return `const browser = await chromium.connect('${wsEndpoint.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}')`;
}

function secondsBetween(fromIso: string, toMs: number): number | null {
  const t = Date.parse(fromIso);
  return Number.isNaN(t) ? null : (toMs - t) / 1000;
}

export function sessionAge(s: SessionView, now: number): string {
  return duration(secondsBetween(s.created_at, now));
}

export function expiresIn(s: SessionView, now: number): string {
  if (s.status === 'closed') return '—';
  const since = secondsBetween(s.expires_at, now);
  if (since === null) return '—';
  return since >= 0 ? 'expiring' : duration(-since);
}
