import { Card, ErrorNote } from '@common/ui';
import { useState, type FormEvent } from 'react';
import { SessionFields } from '@common/SessionFields';
import { EMPTY_CREATE_FORM, type CreateForm } from '@common/session-model';
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
        <SessionFields form={form} setForm={setForm} testId="fleet-create" settings />
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
