import { Card, ErrorNote } from '@common/ui';
import { useState, type FormEvent } from 'react';
import { useCreateSession } from '../../api';
import { EMPTY_CREATE_FORM, buildCreateBody, type CreateForm, type SessionKind } from '../../session-model';

export function CreateSessionForm() {
  const create = useCreateSession();
  const [form, setForm] = useState<CreateForm>(EMPTY_CREATE_FORM);
  const [invalid, setInvalid] = useState<string | null>(null);
  const set = (key: keyof CreateForm) => (ev: { target: { value: string } }) => setForm((f) => ({ ...f, [key]: ev.target.value }));

  const submit = (ev: FormEvent) => {
    ev.preventDefault();
    const built = buildCreateBody(form);
    if (!built.ok) {
      setInvalid(built.error);
      return;
    }
    setInvalid(null);
    create.mutate(built.body);
  };

  return (
    <Card title="New session">
      <form className="form-row" onSubmit={submit} data-testid="create-session-form">
        <label>
          Kind
          <select value={form.kind} onChange={(e) => setForm((f) => ({ ...f, kind: e.target.value as SessionKind }))} data-testid="create-kind">
            <option value="headless">Headless</option>
            <option value="vnc">VNC live view</option>
          </select>
        </label>
        <label className="grow">
          Start URL
          <input type="url" value={form.startUrl} onChange={set('startUrl')} placeholder="https://example.com (optional)" data-testid="create-start-url" />
        </label>
        <label>
          Width
          <input type="number" min={200} max={7680} step={1} value={form.width} onChange={set('width')} placeholder="default" className="num" data-testid="create-width" />
        </label>
        <label>
          Height
          <input type="number" min={200} max={4320} step={1} value={form.height} onChange={set('height')} placeholder="default" className="num" data-testid="create-height" />
        </label>
        <label>
          Client id
          <input type="text" value={form.clientId} onChange={set('clientId')} placeholder="optional" data-testid="create-client-id" />
        </label>
        <label>
          TTL (s)
          <input type="number" min={1} step={1} value={form.ttl} onChange={set('ttl')} placeholder="default" className="num" data-testid="create-ttl" />
        </label>
        <button type="submit" className="btn primary" disabled={create.isPending} data-testid="create-submit">
          {create.isPending ? 'Creating…' : 'Create session'}
        </button>
      </form>
      {invalid ? <ErrorNote error={new Error(invalid)} /> : <ErrorNote error={create.error} />}
      {create.isSuccess && !invalid ? (
        <p className="muted" data-testid="create-result">
          Session <span className="mono">{create.data.id}</span> {create.data.status}.
        </p>
      ) : null}
    </Card>
  );
}
