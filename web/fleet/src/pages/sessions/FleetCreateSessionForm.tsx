import { Card, ErrorNote } from '@common/ui';
import { useState, type FormEvent } from 'react';
import { EMPTY_CREATE_FORM, type CreateForm, type SessionKind } from '../../../../device/src/session-model';
import { useCreateFleetSession, useSessionTargets } from '../../api';
import { LEAST_LOADED, buildFleetCreateBody, isFull, targetLabel } from '../../session-model';

function DeviceSelect({ value, onChange }: { value: string; onChange: (v: string) => void }) {
  const targets = useSessionTargets();
  return (
    <label>
      Device
      <select value={value} onChange={(e) => onChange(e.target.value)} data-testid="fleet-create-device">
        <option value={LEAST_LOADED}>Least loaded online device</option>
        {targets.data?.map((d) => (
          <option key={d.id} value={d.id} disabled={isFull(d)}>
            {targetLabel(d)}
          </option>
        ))}
      </select>
    </label>
  );
}

export function FleetCreateSessionForm() {
  const create = useCreateFleetSession();
  const [device, setDevice] = useState(LEAST_LOADED);
  const [form, setForm] = useState<CreateForm>(EMPTY_CREATE_FORM);
  const [invalid, setInvalid] = useState<string | null>(null);
  const set = (key: keyof CreateForm) => (ev: { target: { value: string } }) => setForm((f) => ({ ...f, [key]: ev.target.value }));

  const submit = (ev: FormEvent) => {
    ev.preventDefault();
    const built = buildFleetCreateBody(form, device);
    setInvalid(built.ok ? null : built.error);
    if (built.ok) create.mutate(built.body);
  };

  const created = create.isSuccess && !invalid ? create.data : null;
  return (
    <Card title="New session">
      <form className="form-row" onSubmit={submit} data-testid="fleet-create-session">
        <DeviceSelect value={device} onChange={setDevice} />
        <label>
          Kind
          <select value={form.kind} onChange={(e) => setForm((f) => ({ ...f, kind: e.target.value as SessionKind }))} data-testid="fleet-create-kind">
            <option value="headless">Headless</option>
            <option value="vnc">VNC live view</option>
          </select>
        </label>
        <label className="grow">
          Start URL
          <input type="url" value={form.startUrl} onChange={set('startUrl')} placeholder="https://example.com (optional)" data-testid="fleet-create-start-url" />
        </label>
        <label>
          Width
          <input type="number" min={200} max={7680} step={1} value={form.width} onChange={set('width')} placeholder="default" className="num" data-testid="fleet-create-width" />
        </label>
        <label>
          Height
          <input type="number" min={200} max={4320} step={1} value={form.height} onChange={set('height')} placeholder="default" className="num" data-testid="fleet-create-height" />
        </label>
        <label>
          Client id
          <input type="text" value={form.clientId} onChange={set('clientId')} placeholder="optional" data-testid="fleet-create-client-id" />
        </label>
        <label>
          TTL (s)
          <input type="number" min={1} step={1} value={form.ttl} onChange={set('ttl')} placeholder="default" className="num" data-testid="fleet-create-ttl" />
        </label>
        <button type="submit" className="btn primary" disabled={create.isPending} data-testid="fleet-create-submit">
          {create.isPending ? 'Creating…' : 'Create session'}
        </button>
      </form>
      {invalid ? <ErrorNote error={new Error(invalid)} /> : <ErrorNote error={create.error} />}
      {created ? (
        <p className="muted" data-testid="fleet-create-result">
          Session <span className="mono">{created.id}</span> {created.status} on <span className="mono">{created.device}</span>.
          {created.vnc ? (
            <>
              {' '}
              <a href={created.vnc.http} target="_blank" rel="noopener noreferrer">
                Open live view
              </a>
            </>
          ) : null}
        </p>
      ) : null}
    </Card>
  );
}
