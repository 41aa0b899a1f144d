import { AppLink } from '@common/link';
import { Badge } from '@common/ui';
import type { DeployView } from '../../api';
import { describeTarget } from '../../rollout-model';

const when = (iso: string) => new Date(iso).toLocaleString();

export function HistoryList({ entries }: { entries: DeployView[] }) {
  if (entries.length === 0) return <p className="muted">No rollouts or deploys yet.</p>;
  return (
    <ol className="deploy-history" data-testid="history-list">
      {entries.map((d) => (
        <li key={d.id} data-testid={`history-${d.id}`}>
          <div>
            <strong>{d.source === 'rollout' ? `${d.channel}: ${d.version}` : `Ansible: ${d.version}`}</strong> <span className="muted">to {describeTarget(d.target)}</span> ·{' '}
            <span className="muted">
              started by {d.started_by}, {when(d.started_at)}
            </span>{' '}
            <Badge tone={d.outcome === null ? 'info' : d.outcome === 'completed' || d.outcome === 'succeeded' ? 'ok' : d.outcome === 'superseded' ? 'muted' : 'warn'}>
              {d.outcome ?? 'running'}
            </Badge>
          </div>
          <ul className="deploy-events">
            {d.events.map((e, i) => (
              <li key={i} className={`event-${e.kind}`}>
                <span className="muted">{when(e.ts)}</span> {e.message}
                {e.devices.length > 0 ? (
                  <span>
                    {' '}
                    (
                    {e.devices.map((id, j) => (
                      <span key={id}>
                        {j > 0 ? ', ' : ''}
                        <AppLink to={`/devices/${encodeURIComponent(id)}`} className="mono">
                          {id}
                        </AppLink>
                      </span>
                    ))}
                    )
                  </span>
                ) : null}
              </li>
            ))}
          </ul>
        </li>
      ))}
    </ol>
  );
}
