import { useState } from 'react';
import { ago } from '@common/format';
import { Badge, Card, ErrorNote, Field } from '@common/ui';
import { useDrain, type DrainStatus } from '../api';

/**
 * The drain (before maintenance or an update): no new sessions, the warm pool ends, live sessions
 * finish by themselves, or are ended after the optional timeout. An update waits for `drained`.
 */
export function DrainCard({ drain }: { drain: DrainStatus | null | undefined }) {
  const act = useDrain();
  const [timeout, setTimeoutText] = useState('');
  const timeoutS = timeout.trim() === '' ? undefined : Number(timeout);
  const badTimeout = timeoutS !== undefined && (!Number.isInteger(timeoutS) || timeoutS < 0 || timeoutS > 86_400);
  const actions = drain ? (
    <button type="button" className="btn" disabled={act.isPending} onClick={() => act.mutate({ on: false })} data-testid="drain-stop">
      {act.isPending ? 'Ending…' : 'End drain'}
    </button>
  ) : (
    <button type="button" className="btn danger" disabled={act.isPending || badTimeout} onClick={() => act.mutate({ on: true, timeoutS })} data-testid="drain-start">
      {act.isPending ? 'Starting…' : 'Start drain'}
    </button>
  );
  return (
    <Card title="Drain" testId="card-drain" actions={actions}>
      <ErrorNote error={act.error} />
      <dl>
        <Field label="State">
          {drain ? (
            <Badge tone={drain.state === 'drained' ? 'info' : 'warn'} testId="drain-state">
              {drain.state}
            </Badge>
          ) : (
            <Badge tone="ok" testId="drain-state">
              taking sessions
            </Badge>
          )}
        </Field>
        {drain ? (
          <>
            <Field label="Since">{ago(drain.since)}</Field>
            <Field label="Sessions left">
              <span data-testid="drain-sessions">{drain.sessions}</span>
            </Field>
            <Field label="Ends sessions">{drain.deadline ? new Date(drain.deadline).toLocaleString() : 'never: waits for them'}</Field>
          </>
        ) : (
          <Field label="End live sessions after">
            <input
              type="number"
              min={0}
              max={86400}
              placeholder="never (seconds)"
              value={timeout}
              onChange={(ev) => setTimeoutText(ev.target.value)}
              aria-invalid={badTimeout}
              data-testid="drain-timeout"
            />
          </Field>
        )}
      </dl>
    </Card>
  );
}
