import type { DeviceHistory, DeviceStatus } from '../../api';
import { linePath, statusSegments, timeTicks, xOf, yOfPct, type ChartBox } from '../../chart-model';
import { useWidth } from '../../hooks';

const HEIGHT = 200;
const BAND_H = 10;
const STATUS_FILL: Record<DeviceStatus, string> = {
  online: 'var(--ok)',
  degraded: 'var(--warn)',
  suspect: '#e0a030',
  offline: 'var(--bad)',
  unknown: '#c0c7d2',
};

const hhmm = (t: number) => new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

/**
 * CPU and memory (%) over the window, with the device status as a band underneath. Drawn at the
 * container's pixel width (not scaled through a viewBox), so text and strokes keep their size.
 */
export function HistoryChart({ history, hours, now }: { history: DeviceHistory; hours: number; now: number }) {
  const [ref, measured] = useWidth<HTMLElement>();
  const box: ChartBox = { width: Math.max(320, measured), height: HEIGHT, left: 40, right: 8, top: 8, bottom: 44 };
  const from = now - hours * 3_600_000;
  const cpu = linePath(box, from, now, history.snapshots.map((s) => ({ t: Date.parse(s.ts), v: s.cpu_pct })));
  const mem = linePath(box, from, now, history.snapshots.map((s) => ({ t: Date.parse(s.ts), v: s.mem_pct })));
  const bands = statusSegments(box, from, now, history.snapshots, history.transitions);
  const bandY = box.height - box.bottom + 6;
  const plotRight = box.width - box.right;
  return (
    <figure className="history-chart" ref={ref}>
      <svg width={box.width} height={box.height} role="img" aria-label={`CPU, memory and status over the last ${hours} hours`} data-testid="history-chart">
        {[0, 50, 100].map((v) => (
          <g key={v}>
            <line x1={box.left} x2={plotRight} y1={yOfPct(box, v)} y2={yOfPct(box, v)} className="grid-line" />
            <text x={box.left - 6} y={yOfPct(box, v) + 4} textAnchor="end" className="axis-label">
              {v}%
            </text>
          </g>
        ))}
        {timeTicks(from, now, hours > 12 ? 6 : Math.max(1, Math.round(hours / 4))).map((t) => {
          const x = xOf(box, from, now, t);
          return (
            <text key={t} x={x} y={box.height - 8} textAnchor={x > plotRight - 30 ? 'end' : 'middle'} className="axis-label">
              {hhmm(t)}
            </text>
          );
        })}
        {bands.map((b, i) => (
          <rect key={i} x={b.x} y={bandY} width={Math.max(0.5, b.width)} height={BAND_H} fill={STATUS_FILL[b.status]}>
            <title>{b.status}</title>
          </rect>
        ))}
        <path d={mem} className="line-mem" />
        <path d={cpu} className="line-cpu" />
      </svg>
      <figcaption className="chart-legend">
        <span className="key key-cpu">CPU %</span>
        <span className="key key-mem">Memory %</span>
        <span className="muted">band: status · {history.snapshots.length} snapshots</span>
      </figcaption>
    </figure>
  );
}
