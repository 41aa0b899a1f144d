import { useState } from 'react';
import { AppLink } from '@common/link';
import { Badge, Card, type Tone } from '@common/ui';
import { useRolloutDevices, type ChannelView, type DeployView, type RolloutBody, type useRolloutAction } from '../../api';
import { describeTarget, devicesWith, progressSegments, type ProgressKey } from '../../rollout-model';

const STATE_TONE: Record<RolloutBody['state'], Tone> = { active: 'info', complete: 'ok', halted: 'bad' };

/** Links to the device pages of the devices behind one count. */
function DeviceList({ channel, status }: { channel: string; status: ProgressKey }) {
  const devices = useRolloutDevices(channel, true);
  if (!devices.data) return <p className="muted">Loading…</p>;
  const ids = devicesWith(devices.data, status);
  return (
    <div className="rollout-devices" data-testid={`rollout-devices-${channel}-${status}`}>
      {ids.length === 0 ? <span className="muted">none</span> : null}
      {ids.map((id) => (
        <AppLink key={id} to={`/devices/${encodeURIComponent(id)}`} className="mono">
          {id}
        </AppLink>
      ))}
    </div>
  );
}

function Progress({ rollout: r }: { rollout: RolloutBody }) {
  const [open, setOpen] = useState<ProgressKey | null>(null);
  const segments = progressSegments(r);
  return (
    <>
      <div className="rollout-bar" title={`${r.selected} selected`}>
        {segments.map((s) => (s.count > 0 ? <div key={s.key} className={`rollout-seg seg-${s.key}`} style={{ width: `${s.pct}%` }} /> : null))}
      </div>
      <div className="rollout-counts" data-testid={`rollout-counts-${r.channel}`}>
        <span data-testid={`count-${r.channel}-selected`}>
          <strong>{r.selected}</strong> selected
        </span>
        {segments.map((s) => (
          <button
            key={s.key}
            type="button"
            className={`btn small count-btn seg-${s.key}${open === s.key ? ' open' : ''}`}
            onClick={() => setOpen(open === s.key ? null : s.key)}
            data-testid={`count-${r.channel}-${s.key}`}
          >
            <strong>{s.count}</strong> {s.label}
          </button>
        ))}
      </div>
      {open ? <DeviceList channel={r.channel} status={open} /> : null}
    </>
  );
}

function lastAutomaticHalt(history: DeployView[], r: RolloutBody) {
  const entry = history.find((h) => h.id === r.deploy_id);
  return entry?.events.filter((e) => e.kind === 'halted' && e.devices.length > 0).at(-1) ?? null;
}

export function ChannelCard(props: {
  channel: ChannelView;
  rollout: RolloutBody | null;
  history: DeployView[];
  action: ReturnType<typeof useRolloutAction>;
  onStart: () => void;
}) {
  const { channel: c, rollout: r, action } = props;
  const [percent, setPercent] = useState('');
  const busy = action.isPending;
  const halt = r?.state === 'halted' ? lastAutomaticHalt(props.history, r) : null;
  const raise = () => {
    const p = Number(percent);
    if (!r || !Number.isInteger(p) || p < 0 || p > 100) return;
    action.mutate({ kind: 'start', body: { channel: r.channel, version: r.version, percent: p, force: r.force, target: r.target } }, { onSuccess: () => setPercent('') });
  };
  return (
    <Card
      wide
      testId={`channel-${c.channel}`}
      title={
        <>
          {c.channel} <span className="muted">runs {c.version ?? 'no version yet'}</span>
        </>
      }
      actions={
        <button type="button" className="btn primary" onClick={props.onStart} data-testid={`start-${c.channel}`}>
          New rollout
        </button>
      }
    >
      {!r ? (
        <p className="muted">No rollout on this channel.</p>
      ) : (
        <>
          <p data-testid={`rollout-summary-${c.channel}`}>
            <span className="mono">{r.version}</span> offered to <strong>{r.percent}%</strong> of {describeTarget(r.target)}{' '}
            <Badge tone={STATE_TONE[r.state]} testId={`rollout-state-${c.channel}`}>
              {r.state}
            </Badge>{' '}
            {r.force ? <Badge tone="warn">forced</Badge> : null}
            <span className="muted">
              {' '}
              · others stay on {r.previous_version ?? 'what they run'}
            </span>
          </p>
          {r.state === 'halted' ? (
            <div className="error-note" data-testid={`halt-reason-${c.channel}`}>
              Halted: {r.halted_reason}
              {halt ? (
                <>
                  {' '}
                  — failing:{' '}
                  {halt.devices.map((id) => (
                    <AppLink key={id} to={`/devices/${encodeURIComponent(id)}`} className="mono">
                      {id}{' '}
                    </AppLink>
                  ))}
                </>
              ) : null}
            </div>
          ) : null}
          <Progress rollout={r} />
          <div className="form-row rollout-actions">
            <label>
              Percent
              <input className="num" type="number" min={0} max={100} value={percent} placeholder={String(r.percent)} onChange={(e) => setPercent(e.target.value)} data-testid={`percent-${c.channel}`} />
            </label>
            <button type="button" className="btn" disabled={busy || percent === ''} onClick={raise} data-testid={`set-percent-${c.channel}`}>
              Set percent
            </button>
            {r.state === 'halted' ? (
              <button type="button" className="btn" disabled={busy} onClick={() => action.mutate({ kind: 'resume', channel: r.channel })} data-testid={`resume-${c.channel}`}>
                Resume
              </button>
            ) : (
              <button type="button" className="btn danger" disabled={busy} onClick={() => action.mutate({ kind: 'halt', channel: r.channel })} data-testid={`halt-${c.channel}`}>
                Halt
              </button>
            )}
          </div>
        </>
      )}
    </Card>
  );
}
