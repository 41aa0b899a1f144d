import { useEffect, useRef, useState } from 'react';
import type { DeviceFilters, FleetSummary, MonitorList } from '../../api';
import { EMPTY_FILTERS, STATUSES, STATUS_TONE, hasFilters, toggleStatus } from '../../device-model';
import { useDebounced } from '../../hooks';

const SEARCH_DEBOUNCE_MS = 300;

function SearchBox({ value, onChange }: { value: string; onChange: (q: string) => void }) {
  const [text, setText] = useState(value);
  const settled = useDebounced(text, SEARCH_DEBOUNCE_MS);
  const latest = useRef({ value, onChange });
  latest.current = { value, onChange };
  useEffect(() => {
    if (settled !== latest.current.value) latest.current.onChange(settled);
  }, [settled]);
  // Follows changes from outside (clear button, back/forward).
  useEffect(() => setText((t) => (t === value ? t : value)), [value]);
  return (
    <input
      type="search"
      className="filter-search"
      value={text}
      onChange={(e) => setText(e.target.value)}
      placeholder="Search id, name or address"
      aria-label="Search devices"
      data-testid="filter-search"
    />
  );
}

/** Only the devices one monitor polls: shown when there is more than one to choose (or a link chose one). */
function MonitorSelect({ value, monitors, onChange }: { value: string; monitors: MonitorList | undefined; onChange: (polledBy: string) => void }) {
  const list = monitors?.monitors ?? [];
  if (list.length < 2 && !value) return null;
  return (
    <select value={value} onChange={(e) => onChange(e.target.value)} aria-label="Polled by" data-testid="filter-polled-by">
      <option value="">All monitors</option>
      {list.map((m) => (
        <option key={m.id} value={m.id}>
          {m.id}
          {m.alive ? '' : ' (dead)'} · {m.devices}
        </option>
      ))}
      {value && !list.some((m) => m.id === value) ? <option value={value}>{value}</option> : null}
    </select>
  );
}

export function DeviceFilterBar(props: {
  filters: DeviceFilters;
  summary: FleetSummary | undefined;
  monitors: MonitorList | undefined;
  onChange: (change: Partial<DeviceFilters>) => void;
}) {
  const { filters, summary, onChange } = props;
  return (
    <div className="filter-bar">
      <div className="chips" role="group" aria-label="Status">
        {STATUSES.map((s) => {
          const on = filters.statuses.includes(s);
          return (
            <button
              key={s}
              type="button"
              className={`chip tone-${STATUS_TONE[s]}${on ? ' on' : ''}`}
              aria-pressed={on}
              onClick={() => onChange({ statuses: toggleStatus(filters.statuses, s) })}
              data-testid={`filter-status-${s}`}
            >
              {s}
            </button>
          );
        })}
      </div>
      <select value={filters.group} onChange={(e) => onChange({ group: e.target.value })} aria-label="Group" data-testid="filter-group">
        <option value="">All groups</option>
        {summary?.groups.map((g) => (
          <option key={g.key} value={g.key}>
            {g.key} ({g.count})
          </option>
        ))}
        {filters.group && !summary?.groups.some((g) => g.key === filters.group) ? <option value={filters.group}>{filters.group}</option> : null}
      </select>
      <select value={filters.version} onChange={(e) => onChange({ version: e.target.value })} aria-label="Version" data-testid="filter-version">
        <option value="">All versions</option>
        {summary?.versions.map((v) => (
          <option key={v.key} value={v.key}>
            {v.key === summary.target_version ? `${v.key} (target)` : v.key} · {v.count}
          </option>
        ))}
        {filters.version && !summary?.versions.some((v) => v.key === filters.version) ? <option value={filters.version}>{filters.version}</option> : null}
      </select>
      <MonitorSelect value={filters.polledBy} monitors={props.monitors} onChange={(polledBy) => onChange({ polledBy })} />
      <SearchBox value={filters.q} onChange={(q) => onChange({ q })} />
      {hasFilters(filters) ? (
        <button type="button" className="btn small" onClick={() => onChange(EMPTY_FILTERS)} data-testid="filter-clear">
          Clear filters
        </button>
      ) : null}
    </div>
  );
}
