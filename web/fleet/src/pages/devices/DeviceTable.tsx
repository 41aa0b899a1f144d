import { useNow } from '@common/hooks';
import { ErrorNote } from '@common/ui';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, useState } from 'react';
import { PAGE_SIZE, type DeviceFilters } from '../../api';
import { hasFilters, pageSpan } from '../../device-model';
import { useDevicePages } from '../../use-device-pages';
import { DeviceRow, DeviceRowPlaceholder, ROW_HEIGHT } from './DeviceRow';

const COLUMNS = ['Status', 'Name', 'Address', 'Groups', 'Version', 'Sessions', 'Alerts', 'Polled by', 'Last seen', ''];

/**
 * The device list, virtualized: only the rows on screen are in the DOM, and only their pages are
 * fetched (useDevicePages), so 10,000 devices scroll like 50. The list is sized by x-total-count.
 * The parent gives it a key per filter, so a new filter starts afresh at the top of its own list.
 */
export function DeviceTable(props: { filters: DeviceFilters; targetVersion: string | null }) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const [span, setSpan] = useState<[number, number]>([0, 0]);
  const pages = useDevicePages(props.filters, span);
  const now = useNow(5000);
  const virtualizer = useVirtualizer({
    count: pages.total,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
  });
  const items = virtualizer.getVirtualItems();
  const [first, last] = [items[0]?.index ?? 0, items.at(-1)?.index ?? 0];
  const [pageFrom, pageTo] = pageSpan(first, last, pages.total, PAGE_SIZE);
  useEffect(() => setSpan((s) => (s[0] === pageFrom && s[1] === pageTo ? s : [pageFrom, pageTo])), [pageFrom, pageTo]);

  const empty = !pages.loading && !pages.error && pages.total === 0;
  return (
    <section className="card device-table-card">
      <header className="card-head">
        <h2>{pages.loading ? 'Devices' : `${pages.total} device${pages.total === 1 ? '' : 's'}${hasFilters(props.filters) ? ' match' : ''}`}</h2>
      </header>
      <ErrorNote error={pages.error} />
      <div className="device-table" ref={scrollRef} role="table" aria-rowcount={pages.total + 1} data-testid="device-table">
        <div className="device-grid device-head" role="row" aria-rowindex={1}>
          {COLUMNS.map((c, i) => (
            <div key={i} role="columnheader">
              {c}
            </div>
          ))}
        </div>
        {empty ? (
          <p className="muted device-table-note" data-testid="device-table-empty">
            {hasFilters(props.filters) ? 'No device matches these filters.' : 'No devices in the inventory.'}
          </p>
        ) : pages.loading ? (
          <p className="muted device-table-note">Loading…</p>
        ) : null}
        <div className="device-body" role="rowgroup" style={{ height: virtualizer.getTotalSize() }}>
          {items.map((item) => {
            const d = pages.rowAt(item.index);
            return d ? (
              <DeviceRow key={d.id} device={d} index={item.index} start={item.start} now={now} targetVersion={props.targetVersion} />
            ) : (
              <DeviceRowPlaceholder key={`pending-${item.index}`} index={item.index} start={item.start} />
            );
          })}
        </div>
      </div>
    </section>
  );
}
