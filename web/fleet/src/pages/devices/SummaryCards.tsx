import type { DeviceStatus, FleetSummary } from '../../api';
import { STATUSES, STATUS_HELP, STATUS_TONE } from '../../device-model';

/** One card per status with its count; a click filters the list to that status. */
export function SummaryCards(props: { summary: FleetSummary | undefined; selected: DeviceStatus[]; onPick: (s: DeviceStatus) => void }) {
  return (
    <div className="summary-cards">
      {STATUSES.map((s) => {
        const count = props.summary?.by_status[s];
        const active = props.selected.includes(s);
        return (
          <button
            key={s}
            type="button"
            className={`summary-card tone-${STATUS_TONE[s]}${active ? ' active' : ''}`}
            aria-pressed={active}
            title={`${s}: ${STATUS_HELP[s]}. Click to show only these.`}
            onClick={() => props.onPick(s)}
            data-testid={`summary-${s}`}
          >
            <span className="summary-count">{count ?? '…'}</span>
            <span className="summary-label">{s}</span>
          </button>
        );
      })}
    </div>
  );
}
