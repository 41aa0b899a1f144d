// Silences, as Alertmanager has them: a set of matchers (all must match) and a time window. An
// alert a silence matches while the silence is active is still open and still listed (marked with
// the silence's id) but sends nothing: not the first message, no reminder, no "resolved". A silence
// whose start lies ahead is planned maintenance; ending one early sets its end to now (and, for a
// planned one, its start too), as Alertmanager's expire does. Pure logic here; rows live in
// alert-tables.ts. Held by silences.test.ts.
import type { Severity } from './alert-engine.js';
import { SilenceInputError } from './alert-errors.js';

export { SilenceInputError };

export interface Matcher {
  /** 'device', 'group', 'rule' (the alert kind), 'severity', or 'label:<key>' (a device label, e.g. label:site). */
  name: string;
  value: string;
}

export interface SilenceRow {
  id: number;
  matchers: Matcher[];
  starts_at: number;
  ends_at: number;
  comment: string;
  created_by: string;
  created_at: number;
}

export type SilenceState = 'active' | 'planned' | 'expired';

/** What a silence is matched against: the alert, and what the registry knows of its device. */
export interface AlertSubject {
  device_id: string | null;
  rule: string;
  severity: Severity;
  groups: readonly string[];
  labels: Readonly<Record<string, string>>;
}


const FIXED = new Set(['device', 'group', 'rule', 'severity']);
const LABEL_KEY = /^[A-Za-z0-9_.-]{1,63}$/;
const SEVERITIES = new Set(['info', 'warning', 'critical']);

/** Throws a SilenceInputError naming the matcher that is wrong (the routes answer 400 with it). */
export function checkMatchers(matchers: readonly Matcher[]): void {
  if (matchers.length === 0) throw new SilenceInputError('matchers: at least one matcher is needed (a silence matching everything would mute the fleet)');
  matchers.forEach((m, i) => {
    const where = `matchers[${i}]`;
    if (!FIXED.has(m.name) && !(m.name.startsWith('label:') && LABEL_KEY.test(m.name.slice('label:'.length)))) {
      throw new SilenceInputError(`${where}.name must be device, group, rule, severity or label:<key> (e.g. label:site), got ${JSON.stringify(m.name)}`);
    }
    if (m.value.trim() === '') throw new SilenceInputError(`${where}.value must not be empty`);
    if (m.name === 'severity' && !SEVERITIES.has(m.value)) throw new SilenceInputError(`${where}.value must be info, warning or critical for severity, got ${JSON.stringify(m.value)}`);
  });
}

function matchesOne(m: Matcher, s: AlertSubject): boolean {
  switch (m.name) {
    case 'device':
      return s.device_id === m.value;
    case 'group':
      return s.groups.includes(m.value);
    case 'rule':
      return s.rule === m.value;
    case 'severity':
      return s.severity === m.value;
    default:
      return s.labels[m.name.slice('label:'.length)] === m.value;
  }
}

export const matches = (silence: Pick<SilenceRow, 'matchers'>, s: AlertSubject): boolean => silence.matchers.every((m) => matchesOne(m, s));

export function silenceState(s: Pick<SilenceRow, 'starts_at' | 'ends_at'>, now: number): SilenceState {
  if (s.ends_at <= now) return 'expired';
  return s.starts_at > now ? 'planned' : 'active';
}

/** Ids of the silences that mute this alert now, oldest first. */
export function silencedBy(silences: readonly SilenceRow[], s: AlertSubject, now: number): number[] {
  return silences.filter((x) => silenceState(x, now) === 'active' && matches(x, s)).map((x) => x.id);
}

export interface NewSilence {
  matchers: Matcher[];
  starts_at?: number;
  ends_at?: number;
  duration_s?: number;
  comment: string;
}

/** Validates a new silence and fills in its window; throws SilenceInputError. */
export function newSilenceWindow(input: NewSilence, now: number): { starts_at: number; ends_at: number } {
  checkMatchers(input.matchers);
  if (input.comment.trim() === '') throw new SilenceInputError('comment must say why (who is working on what)');
  const starts_at = input.starts_at ?? now;
  if (input.ends_at !== undefined && input.duration_s !== undefined) throw new SilenceInputError('give either ends_at or duration_s, not both');
  if (input.ends_at === undefined && input.duration_s === undefined) throw new SilenceInputError('ends_at or duration_s is needed: a silence always ends');
  const ends_at = input.ends_at ?? starts_at + input.duration_s! * 1000;
  if (ends_at <= starts_at) throw new SilenceInputError('ends_at must be after starts_at');
  if (ends_at <= now) throw new SilenceInputError('ends_at must be in the future');
  return { starts_at, ends_at };
}
