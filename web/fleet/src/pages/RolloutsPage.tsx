// Rollouts: per channel, the version offered and to whom, with progress and the devices behind each
// count; start, move, halt and resume a rollout; the deploy history (rollouts and Ansible runs).
import { useState } from 'react';
import { Card, ErrorNote } from '@common/ui';
import { useChannels, useRolloutAction, useRolloutHistory, useRollouts, type ChannelView, type RolloutBody } from '../api';
import { ChannelCard } from './rollouts/ChannelCard';
import { HistoryList } from './rollouts/HistoryList';
import { StartRolloutForm } from './rollouts/StartRolloutForm';

export function RolloutsPage() {
  const channels = useChannels();
  const rollouts = useRollouts();
  const history = useRolloutHistory();
  const action = useRolloutAction();
  const [starting, setStarting] = useState<string | null>(null);
  const byChannel = new Map<string, RolloutBody>((rollouts.data ?? []).map((r) => [r.channel, r]));
  const list: ChannelView[] = channels.data ?? [];
  return (
    <div data-testid="rollouts-page">
      <div className="page-title">
        <h1>Rollouts</h1>
        <span className="muted">{list.length} channel{list.length === 1 ? '' : 's'}</span>
      </div>
      <ErrorNote error={channels.error ?? rollouts.error} />
      <ErrorNote error={action.error} />
      {list.map((c) => (
        <ChannelCard key={c.channel} channel={c} rollout={byChannel.get(c.channel) ?? null} history={history.data ?? []} action={action} onStart={() => setStarting(c.channel)} />
      ))}
      {starting !== null ? (
        <StartRolloutForm
          channel={starting}
          current={byChannel.get(starting) ?? null}
          pending={action.isPending}
          onCancel={() => setStarting(null)}
          onSubmit={(body) => action.mutate({ kind: 'start', body }, { onSuccess: () => setStarting(null) })}
        />
      ) : null}
      <Card title="History" wide testId="rollout-history">
        <ErrorNote error={history.error} />
        <HistoryList entries={history.data ?? []} />
      </Card>
    </div>
  );
}
