import { useNow } from '@common/hooks';
import { Badge, Card, ErrorNote, Field } from '@common/ui';
import { usePayloadAction, type PayloadAction, type PayloadDetails } from '../../api';
import { HEALTH_TONE, agoFromServer, payloadActionsEnabled, payloadStateLabel, payloadTone } from '@common/payload-model';

const ACTIONS: { action: PayloadAction; label: string; pending: string; className: string }[] = [
  { action: 'start', label: 'Start', pending: 'Starting…', className: 'btn primary' },
  { action: 'stop', label: 'Stop', pending: 'Stopping…', className: 'btn danger' },
  { action: 'restart', label: 'Restart', pending: 'Restarting…', className: 'btn' },
];

export function PayloadCard({ payload: p }: { payload: PayloadDetails }) {
  const now = useNow(1000);
  const act = usePayloadAction();
  const enabled = payloadActionsEnabled(p.state, act.isPending);
  const buttons = ACTIONS.map(({ action, label, pending, className }) => (
    <button key={action} type="button" className={className} disabled={!enabled[action]} onClick={() => act.mutate(action)} data-testid={`payload-${action}`}>
      {act.isPending && act.variables === action ? pending : label}
    </button>
  ));

  return (
    <Card title="Container" testId="payload-card" actions={buttons}>
      <ErrorNote error={act.error} />
      <dl>
        <Field label="Name">
          <span className="mono">{p.name}</span>
        </Field>
        <Field label="State">
          <Badge tone={payloadTone(p.state)} testId="payload-state">
            {payloadStateLabel(p.state)}
          </Badge>
        </Field>
        <Field label="Image">
          <span className="mono">{p.image ?? '—'}</span>
        </Field>
        <Field label="Version">
          <span data-testid="payload-version">{p.version ?? '—'}</span>
        </Field>
        <Field label="Started">
          <span title={p.started_at ? new Date(p.started_at).toLocaleString() : undefined}>{agoFromServer(p.started_at, now)}</span>
        </Field>
        <Field label="Restarts">
          <span data-testid="payload-restarts">{p.restarts}</span>
        </Field>
        <Field label="Health">{p.health ? <Badge tone={HEALTH_TONE[p.health] ?? 'muted'}>{p.health}</Badge> : <span className="muted">no health check</span>}</Field>
        {p.container_id ? (
          <Field label="Container id">
            <span className="mono" title={p.container_id}>
              {p.container_id.slice(0, 12)}
            </span>
          </Field>
        ) : null}
        <Field label="Last checked">{agoFromServer(p.checked_at, now)}</Field>
      </dl>
      {p.error ? (
        <div className="error-note" data-testid="payload-error">
          {p.error}
        </div>
      ) : null}
    </Card>
  );
}
