import { ago } from '@common/format';
import { Badge, Card, ErrorNote, type Tone } from '@common/ui';
import { useDeviceUpdates } from '../../api';

const TONE: Record<string, Tone> = { updated: 'ok', current: 'ok', failed: 'bad', rolled_back: 'bad', refused: 'bad', postponed: 'warn', waiting_window: 'muted', in_progress: 'info' };

/** The device's update reports, newest first (GET /api/devices/:id/updates). */
export function UpdateTimelineCard({ id, now }: { id: string; now: number }) {
  const updates = useDeviceUpdates(id);
  return (
    <Card title="Updates" wide testId="update-timeline">
      <ErrorNote error={updates.error} />
      {updates.data && updates.data.length === 0 ? <p className="muted">No update reports from this device.</p> : null}
      <ol className="update-timeline">
        {(updates.data ?? []).map((u, i) => (
          <li key={i} data-testid="update-event">
            <span className="muted" title={u.ts}>
              {ago(u.ts, now)}
            </span>{' '}
            <Badge tone={TONE[u.result] ?? 'muted'}>{u.result.replace('_', ' ')}</Badge>{' '}
            <span className="mono">
              {u.from_version ?? '?'} → {u.to_version ?? '?'}
            </span>
            {u.channel ? <span className="muted"> on {u.channel}</span> : null}
            {u.message ? <div className="muted">{u.message}</div> : null}
          </li>
        ))}
      </ol>
    </Card>
  );
}
