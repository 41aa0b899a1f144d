import { useState, type FormEvent } from 'react';
import { Card, ErrorNote } from '@common/ui';
import { useReleases, type RolloutBody, type StartRollout } from '../../api';
import { targetFrom } from '../../rollout-model';

export function StartRolloutForm(props: { channel: string; current: RolloutBody | null; pending: boolean; onSubmit: (b: StartRollout) => void; onCancel: () => void }) {
  const releases = useReleases();
  const signed = (releases.data ?? []).filter((r) => r.signed);
  const [version, setVersion] = useState('');
  const [percent, setPercent] = useState('10');
  const [group, setGroup] = useState('');
  const [selector, setSelector] = useState('');
  const [force, setForce] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const chosen = version || signed[0]?.version || '';
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const p = Number(percent);
    if (!Number.isInteger(p) || p < 0 || p > 100) return setProblem('percent: a whole number from 0 to 100');
    if (!chosen) return setProblem('version: no signed release to roll out');
    const t = targetFrom(group, selector);
    if ('error' in t) return setProblem(t.error);
    setProblem(null);
    props.onSubmit({ channel: props.channel, version: chosen, percent: p, force, target: t.target });
  };
  return (
    <Card title={`New rollout on ${props.channel}`} wide testId="start-rollout">
      <ErrorNote error={releases.error} />
      {problem ? <div className="error-note">{problem}</div> : null}
      <form className="form-row" onSubmit={submit}>
        <label>
          Version
          <select value={chosen} onChange={(e) => setVersion(e.target.value)} data-testid="start-version">
            {signed.map((r) => (
              <option key={r.version} value={r.version}>
                {r.version}
                {props.current?.version === r.version ? ' (current)' : ''}
              </option>
            ))}
          </select>
        </label>
        <label>
          Percent
          <input className="num" type="number" min={0} max={100} value={percent} onChange={(e) => setPercent(e.target.value)} data-testid="start-percent" />
        </label>
        <label>
          Group (optional)
          <input value={group} onChange={(e) => setGroup(e.target.value)} placeholder="lab" data-testid="start-group" />
        </label>
        <label className="grow">
          Labels (optional)
          <input value={selector} onChange={(e) => setSelector(e.target.value)} placeholder="site=lab, floor=1" data-testid="start-labels" />
        </label>
        <label className="check">
          <span>
            <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} data-testid="start-force" /> force
          </span>
        </label>
        <button type="submit" className="btn primary" disabled={props.pending} data-testid="start-submit">
          Start
        </button>
        <button type="button" className="btn" onClick={props.onCancel}>
          Cancel
        </button>
      </form>
    </Card>
  );
}
