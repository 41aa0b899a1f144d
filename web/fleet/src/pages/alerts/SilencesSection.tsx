import { ago } from '@common/format';
import { useNow } from '@common/hooks';
import { Badge, Card, ErrorNote } from '@common/ui';
import { useState, type FormEvent } from 'react';
import { useCreateSilence, useExpireSilence, useSilences, type Silence } from '../../api';
import { buildSilenceBody, DURATIONS, EMPTY_SILENCE_FORM, matcherText, sortSilences, type SilenceForm } from '../../silence-model';

const STATE_TONE = { active: 'warn', planned: 'info', expired: 'muted' } as const;
const STATE_LABEL = { active: 'active', planned: 'planned maintenance', expired: 'expired' } as const;

function NewSilenceForm({ matchers }: { matchers: string }) {
  const create = useCreateSilence();
  const [form, setForm] = useState<SilenceForm>({ ...EMPTY_SILENCE_FORM, matchers });
  const [invalid, setInvalid] = useState<string | null>(null);
  const submit = (ev: FormEvent) => {
    ev.preventDefault();
    const built = buildSilenceBody(form);
    setInvalid(built.ok ? null : built.error);
    if (built.ok) create.mutate(built.body, { onSuccess: () => setForm(EMPTY_SILENCE_FORM) });
  };
  return (
    <Card title="New silence">
      <form className="form-row" onSubmit={submit} data-testid="silence-form">
        <label>
          Matchers
          <input value={form.matchers} placeholder="device=kiosk-7, site=lab" onChange={(e) => setForm({ ...form, matchers: e.target.value })} data-testid="silence-matchers" />
        </label>
        <label>
          Start (empty: now)
          <input type="datetime-local" value={form.start} onChange={(e) => setForm({ ...form, start: e.target.value })} data-testid="silence-start" />
        </label>
        <label>
          For
          <select value={form.durationS} onChange={(e) => setForm({ ...form, durationS: Number(e.target.value) })} data-testid="silence-duration">
            {DURATIONS.map((d) => (
              <option key={d.s} value={d.s}>
                {d.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Comment
          <input value={form.comment} placeholder="why, who is on it" onChange={(e) => setForm({ ...form, comment: e.target.value })} data-testid="silence-comment" />
        </label>
        <button type="submit" className="btn primary" disabled={create.isPending} data-testid="silence-submit">
          {create.isPending ? 'Creating…' : 'Create silence'}
        </button>
      </form>
      <p className="muted small">Names: device, group, rule, severity; any other name is a device label (site=lab). Every matcher must match.</p>
      {invalid ? <ErrorNote error={new Error(invalid)} /> : <ErrorNote error={create.error} />}
    </Card>
  );
}

function SilenceRow({ silence: s, now }: { silence: Silence; now: number }) {
  const expire = useExpireSilence();
  return (
    <tr data-testid={`silence-row-${s.id}`}>
      <td className="mono">#{s.id}</td>
      <td>
        <Badge tone={STATE_TONE[s.state]}>{STATE_LABEL[s.state]}</Badge>
      </td>
      <td className="mono small">{s.matchers.map(matcherText).join(', ')}</td>
      <td className="nowrap" title={new Date(s.starts_at).toLocaleString()}>
        {s.state === 'planned' ? `starts ${new Date(s.starts_at).toLocaleString()}` : ago(s.starts_at, now)}
      </td>
      <td className="nowrap">{new Date(s.ends_at).toLocaleString()}</td>
      <td>
        <div>{s.comment}</div>
        <div className="muted small">by {s.created_by}</div>
      </td>
      <td>
        {s.state !== 'expired' ? (
          <button type="button" className="btn small danger" disabled={expire.isPending} onClick={() => expire.mutate(s.id)} data-testid={`silence-expire-${s.id}`}>
            {s.state === 'planned' ? 'Cancel' : 'End now'}
          </button>
        ) : null}
      </td>
    </tr>
  );
}

/** `matchers`: what the new-silence form starts with (an alert's "Silence…"). */
export function SilencesSection({ matchers = '' }: { matchers?: string }) {
  const silences = useSilences();
  const now = useNow(5000);
  const rows = sortSilences(silences.data ?? []);
  return (
    <>
      <NewSilenceForm matchers={matchers} />
      <ErrorNote error={silences.error} />
      <Card title={`${rows.length} silence${rows.length === 1 ? '' : 's'} (active, planned, expired in the last day)`} wide>
        <table className="list" data-testid="silences-table">
          <thead>
            <tr>
              <th>Id</th>
              <th>State</th>
              <th>Matchers</th>
              <th>Start</th>
              <th>End</th>
              <th>Comment</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((s) => (
              <SilenceRow key={s.id} silence={s} now={now} />
            ))}
          </tbody>
        </table>
        {silences.data && rows.length === 0 ? <p className="muted">No silences.</p> : null}
      </Card>
    </>
  );
}
