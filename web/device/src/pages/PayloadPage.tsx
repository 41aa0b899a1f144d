import { ErrorNote } from '@common/ui';
import { usePayload } from '../api';
import { PayloadCard } from './payload/PayloadCard';
import { PayloadLogsCard } from './payload/PayloadLogsCard';

export function PayloadPage() {
  const payload = usePayload();
  const p = payload.data;
  return (
    <div data-testid="payload-page">
      <div className="page-title">
        <h1>Payload container</h1>
        {p ? <span className="muted mono">{p.name}</span> : null}
      </div>
      <ErrorNote error={payload.error} />
      {p === undefined ? (
        payload.error ? null : <p className="muted">Loading…</p>
      ) : p === null ? (
        <p className="muted" data-testid="payload-not-configured">
          No payload container configured (OUTPOST_PAYLOAD_CONTAINER).
        </p>
      ) : (
        <div className="payload-layout">
          <PayloadCard payload={p} />
          <PayloadLogsCard state={p.state} />
        </div>
      )}
    </div>
  );
}
