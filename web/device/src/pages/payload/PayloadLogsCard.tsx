import { Card, ErrorNote } from '@common/ui';
import { useLayoutEffect, useRef, useState } from 'react';
import { usePayloadLogs, type PayloadLogLine, type PayloadState } from '../../api';
import { DEFAULT_LOG_LINES, LOG_LINE_CHOICES, logTime, payloadHasLogs } from '@common/payload-model';

/** How close (px) to the bottom still counts as "following" the log. */
const FOLLOW_SLACK_PX = 24;

function LogLine({ line }: { line: PayloadLogLine }) {
  const time = logTime(line.time);
  return (
    <div className={line.stream === 'stderr' ? 'log-line log-stderr' : 'log-line'}>
      {time ? <span className="log-time">{time} </span> : null}
      {line.text}
    </div>
  );
}

export function PayloadLogsCard({ state }: { state: PayloadState }) {
  const [lines, setLines] = useState<number>(DEFAULT_LOG_LINES);
  const available = payloadHasLogs(state);
  const logs = usePayloadLogs(lines, available);
  const pre = useRef<HTMLPreElement>(null);
  // Follow the tail unless the reader has scrolled up.
  const following = useRef(true);
  // A disabled query keeps its cache; don't show stale lines for a container that is gone.
  const data = available ? logs.data : undefined;

  useLayoutEffect(() => {
    const el = pre.current;
    if (el && following.current) el.scrollTop = el.scrollHeight;
  }, [data]);

  const onScroll = () => {
    const el = pre.current;
    if (el) following.current = el.scrollHeight - el.scrollTop - el.clientHeight <= FOLLOW_SLACK_PX;
  };

  const actions = (
    <>
      <label className="inline-label">
        Lines
        <select value={lines} onChange={(e) => setLines(Number(e.target.value))} data-testid="payload-log-lines">
          {LOG_LINE_CHOICES.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </label>
      <button
        type="button"
        className="btn small"
        disabled={!available}
        onClick={() => {
          following.current = true;
          void logs.refetch();
        }}
        data-testid="payload-logs-refresh"
      >
        Refresh
      </button>
    </>
  );

  return (
    <Card title="Logs" testId="payload-logs-card" actions={actions}>
      {available ? <ErrorNote error={logs.error} /> : <p className="muted">No logs: the container is {state === 'missing' ? 'missing' : 'not reachable (docker unavailable)'}.</p>}
      <pre className="log" ref={pre} onScroll={onScroll} data-testid="payload-logs">
        {data ? data.lines.map((l, i) => <LogLine key={i} line={l} />) : null}
        {data && data.lines.length === 0 ? <span className="log-empty">(no output)</span> : null}
        {!data && available && !logs.error ? <span className="log-empty">Loading…</span> : null}
      </pre>
    </Card>
  );
}
