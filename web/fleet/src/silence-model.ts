// The Silences form's logic, kept out of the components: matcher text to the API's matchers, the
// form to a POST /api/silences body, and how a silence is described in the list.
import type { CreateSilenceBody, Silence } from '../../../fleet/src/api/schemas';

type Matcher = CreateSilenceBody['matchers'][number];

/** Names the monitor matches on; any other name is a device label (site=lab → label:site). */
const FIXED = new Set(['device', 'group', 'rule', 'severity']);

export const DURATIONS: ReadonlyArray<{ label: string; s: number }> = [
  { label: '30 minutes', s: 1800 },
  { label: '1 hour', s: 3600 },
  { label: '2 hours', s: 7200 },
  { label: '4 hours', s: 4 * 3600 },
  { label: '8 hours', s: 8 * 3600 },
  { label: '1 day', s: 86_400 },
  { label: '3 days', s: 3 * 86_400 },
  { label: '1 week', s: 7 * 86_400 },
];

export interface SilenceForm {
  /** e.g. "device=kiosk-7" or "site=lab, rule=disk". */
  matchers: string;
  /** datetime-local value; empty: now. */
  start: string;
  durationS: number;
  comment: string;
}

export const EMPTY_SILENCE_FORM: SilenceForm = { matchers: '', start: '', durationS: 3600, comment: '' };

export function parseMatchers(text: string): { ok: true; matchers: Matcher[] } | { ok: false; error: string } {
  const parts = text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0) return { ok: false, error: 'Matchers: give at least one, like device=kiosk-7 or site=lab.' };
  const matchers: Matcher[] = [];
  for (const part of parts) {
    const eq = part.indexOf('=');
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (eq <= 0 || !value) return { ok: false, error: `Matchers: "${part}" is not name=value.` };
    matchers.push({ name: FIXED.has(name) || name.startsWith('label:') ? name : `label:${name}`, value });
  }
  return { ok: true, matchers };
}

export function buildSilenceBody(form: SilenceForm): { ok: true; body: CreateSilenceBody } | { ok: false; error: string } {
  const parsed = parseMatchers(form.matchers);
  if (!parsed.ok) return parsed;
  if (!form.comment.trim()) return { ok: false, error: 'Comment: say why (who is working on what).' };
  const body: CreateSilenceBody = { matchers: parsed.matchers, duration_s: form.durationS, comment: form.comment.trim() };
  if (form.start) {
    const ms = new Date(form.start).getTime();
    if (Number.isNaN(ms)) return { ok: false, error: 'Start: not a date and time.' };
    body.starts_at = new Date(ms).toISOString();
  }
  return { ok: true, body };
}

export const matcherText = (m: Matcher): string => `${m.name.startsWith('label:') ? m.name.slice('label:'.length) : m.name}=${m.value}`;

/** Active first, then planned (soonest first), then the recently expired (latest end first). */
export function sortSilences(list: readonly Silence[]): Silence[] {
  const rank = { active: 0, planned: 1, expired: 2 } as const;
  return [...list].sort(
    (a, b) => rank[a.state] - rank[b.state] || (a.state === 'expired' ? b.ends_at.localeCompare(a.ends_at) : a.starts_at.localeCompare(b.starts_at)),
  );
}
