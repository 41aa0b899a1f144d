import { ErrorNote } from '@common/ui';
import { useMonitors, useSummary } from '../api';
import { useUrlFilters } from '../hooks';
import { filtersToSearch, onlyStatus } from '../device-model';
import { DeviceFilterBar } from './devices/DeviceFilterBar';
import { DeviceTable } from './devices/DeviceTable';
import { SummaryCards } from './devices/SummaryCards';

export function DevicesPage() {
  const summary = useSummary();
  const monitors = useMonitors();
  const [filters, setFilters] = useUrlFilters();
  return (
    <div className="devices-page">
      <div className="page-title">
        <h1>Devices</h1>
        {summary.data ? <span className="muted">{summary.data.total} in the inventory</span> : null}
      </div>
      <ErrorNote error={summary.error} />
      <SummaryCards summary={summary.data} selected={filters.statuses} onPick={(s) => setFilters({ statuses: onlyStatus(filters.statuses, s) })} />
      <DeviceFilterBar filters={filters} summary={summary.data} monitors={monitors.data} onChange={setFilters} />
      <DeviceTable key={filtersToSearch(filters)} filters={filters} targetVersion={summary.data?.target_version ?? null} />
    </div>
  );
}
