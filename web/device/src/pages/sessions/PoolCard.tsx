import { Card, Field } from '@common/ui';
import type { SessionList } from '../../api';

function PoolLine({ kind }: { kind: SessionList['pool']['headless'] }) {
  return (
    <>
      {kind.ready} ready · {kind.starting} starting · target {kind.target}
    </>
  );
}

export function PoolCard({ pool, capacity }: Pick<SessionList, 'pool' | 'capacity'>) {
  return (
    <Card title="Pool and capacity" testId="pool-card">
      <dl>
        <Field label="Warm pool (headless)">
          <PoolLine kind={pool.headless} />
        </Field>
        <Field label="Warm pool (VNC)">
          <PoolLine kind={pool.vnc} />
        </Field>
        <Field label="Active">
          <span data-testid="capacity-active">
            {capacity.active} / {capacity.max_sessions}
          </span>
          {capacity.starting > 0 ? <span className="muted"> ({capacity.starting} starting)</span> : null}
        </Field>
        <Field label="When full">{capacity.policy}</Field>
        <Field label="Queued">{capacity.queued}</Field>
      </dl>
    </Card>
  );
}
