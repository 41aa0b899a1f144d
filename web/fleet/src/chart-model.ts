// Geometry of the device history chart (pages/detail/HistoryChart.tsx): plain SVG, no chart library.
import type { DeviceStatus, Snapshot, Transition } from './api';

export interface ChartBox {
  width: number;
  height: number;
  /** Plot area inside the box (room for axis labels around it). */
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export interface StatusSegment {
  x: number;
  width: number;
  status: DeviceStatus;
}

const MIN_GAP_MS = 15 * 60_000;

/** x of a time within [from, to]. */
export function xOf(box: ChartBox, from: number, to: number, t: number): number {
  const span = Math.max(1, to - from);
  return box.left + ((t - from) / span) * (box.width - box.left - box.right);
}

/** y of a percentage (0 at the bottom of the plot, 100 at its top). */
export function yOfPct(box: ChartBox, v: number): number {
  const h = box.height - box.top - box.bottom;
  return box.top + h - (Math.min(100, Math.max(0, v)) / 100) * h;
}

/**
 * How long between two snapshots counts as missing data (the line is broken there instead of drawn
 * straight across): three typical intervals, and never less than 15 minutes.
 */
export function gapThreshold(times: number[]): number {
  const deltas: number[] = [];
  for (let i = 1; i < times.length; i++) deltas.push(times[i]! - times[i - 1]!);
  deltas.sort((a, b) => a - b);
  const median = deltas[Math.floor(deltas.length / 2)] ?? 0;
  return Math.max(MIN_GAP_MS, median * 3);
}

/** An SVG path through the non-null values, broken at nulls and at gaps in the data. */
export function linePath(box: ChartBox, from: number, to: number, points: Array<{ t: number; v: number | null }>): string {
  const gap = gapThreshold(points.map((p) => p.t));
  let d = '';
  let prev: number | null = null;
  for (const p of points) {
    if (p.v === null || p.t < from || p.t > to) {
      prev = null;
      continue;
    }
    const cmd = prev === null || p.t - prev > gap ? 'M' : 'L';
    d += `${cmd}${xOf(box, from, to, p.t).toFixed(1)},${yOfPct(box, p.v).toFixed(1)}`;
    prev = p.t;
  }
  return d;
}

/**
 * The status over time as bands: every snapshot and transition says the status from its time on,
 * until the next one (or `to`). Before the first of them nothing is known and nothing is drawn.
 */
export function statusSegments(box: ChartBox, from: number, to: number, snapshots: Snapshot[], transitions: Transition[]): StatusSegment[] {
  const events = [
    ...snapshots.map((s) => ({ t: Date.parse(s.ts), status: s.status })),
    ...transitions.map((tr) => ({ t: Date.parse(tr.ts), status: tr.to })),
  ]
    .filter((e) => !Number.isNaN(e.t) && e.t <= to)
    .sort((a, b) => a.t - b.t);
  const segments: StatusSegment[] = [];
  events.forEach((e, i) => {
    const start = Math.max(from, e.t);
    const end = Math.min(to, events[i + 1]?.t ?? to);
    if (end <= start) return;
    const last = segments.at(-1);
    const x = xOf(box, from, to, start);
    const right = xOf(box, from, to, end);
    // Neighbours with the same status become one rectangle (fewer nodes for a day of snapshots).
    if (last && last.status === e.status && Math.abs(last.x + last.width - x) < 0.5) last.width = right - last.x;
    else segments.push({ x, width: right - x, status: e.status });
  });
  return segments;
}

/** Tick times every `stepH` hours at local hours divisible by it (00:00, 06:00, …). */
export function timeTicks(from: number, to: number, stepH: number): number[] {
  const d = new Date(from);
  d.setMinutes(0, 0, 0);
  while (d.getTime() < from || d.getHours() % stepH !== 0) d.setHours(d.getHours() + 1);
  const ticks: number[] = [];
  for (; d.getTime() <= to; d.setHours(d.getHours() + stepH)) ticks.push(d.getTime());
  return ticks;
}
