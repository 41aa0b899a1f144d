// The device↔fleet contract: GET /api/fleet/status (../shared/DESIGN.md, "Fleet status").
// One TypeBox schema gives the TypeScript type, the device's response schema and the fleet
// poller's validator, so the two sides cannot drift apart. Bump `schema` on a breaking change.
import Type, { type Static, type TSchema } from 'typebox';

export const FLEET_STATUS_SCHEMA_VERSION = 1;

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const IsoTime = Type.String({ format: 'date-time' });

export const UpdateResult = Type.Union([
  Type.Literal('none'),
  Type.Literal('current'),
  Type.Literal('updated'),
  Type.Literal('rolled_back'),
  Type.Literal('failed'),
  Type.Literal('refused'),
  Type.Literal('in_progress'),
  // Sessions were still live when the update's drain timed out; a later run tries again.
  Type.Literal('postponed'),
]);
export type UpdateResult = Static<typeof UpdateResult>;

export const PayloadState = Type.Union([
  Type.Literal('running'),
  Type.Literal('created'),
  Type.Literal('restarting'),
  Type.Literal('paused'),
  Type.Literal('exited'),
  Type.Literal('removing'),
  Type.Literal('dead'),
  Type.Literal('missing'),
  Type.Literal('docker_unavailable'),
]);
export type PayloadState = Static<typeof PayloadState>;

export const Severity = Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')]);
export type Severity = Static<typeof Severity>;

export const DeviceAlert = Type.Object(
  {
    id: Type.String({ minLength: 1 }),
    severity: Severity,
    message: Type.String(),
    since: IsoTime,
  },
  { additionalProperties: false },
);
export type DeviceAlert = Static<typeof DeviceAlert>;

const PoolKind = Type.Object(
  { ready: Type.Integer({ minimum: 0 }), target: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
);

const Count = Type.Integer({ minimum: 0 });
/** What happened to session requests of one protocol since the appliance started. */
export const ProtocolCounts = Type.Object(
  {
    created: Count,
    claimed_from_pool: Count,
    queued: Count,
    /** By the refusal's error code: capacity_exceeded, host_overloaded, draining, … */
    rejected: Type.Record(Type.String(), Count),
    queue_timeouts: Count,
    /** By end reason: deleted, ttl, idle, disconnected, … */
    ended: Type.Record(Type.String(), Count),
  },
  { additionalProperties: false },
);
export type ProtocolCounts = Static<typeof ProtocolCounts>;

export const SessionsSummary = Type.Object(
  {
    active: Type.Integer({ minimum: 0 }),
    capacity: Type.Integer({ minimum: 0 }),
    pool: Type.Object({ headless: PoolKind, vnc: PoolKind }, { additionalProperties: false }),
    // Per protocol (api, playwright, cdp, webdriver, compat): only those seen since the start.
    // Optional: older appliances do not send it.
    counters: Type.Optional(Type.Record(Type.String(), ProtocolCounts)),
  },
  { additionalProperties: false },
);
export type SessionsSummary = Static<typeof SessionsSummary>;

export const PayloadStatus = Type.Object(
  {
    name: Type.String(),
    state: PayloadState,
    image: Nullable(Type.String()),
    version: Nullable(Type.String()),
    started_at: Nullable(IsoTime),
    restarts: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type PayloadStatus = Static<typeof PayloadStatus>;

export const UpdateStatus = Type.Object(
  {
    channel: Type.String(),
    last_check: Nullable(IsoTime),
    last_result: Nullable(UpdateResult),
    previous_version: Nullable(Type.String()),
    /** OUTPOST_UPDATE_WINDOW as update.sh last read it, and the next start of a range (absent: older device). */
    window: Type.Optional(Nullable(Type.String())),
    next_window: Type.Optional(Nullable(IsoTime)),
  },
  { additionalProperties: false },
);
export type UpdateStatus = Static<typeof UpdateStatus>;

export const HostStatus = Type.Object(
  {
    hostname: Type.String(),
    os: Type.String(),
    kernel: Type.String(),
    uptime_s: Type.Number({ minimum: 0 }),
    cpu: Type.Object(
      {
        cores: Type.Integer({ minimum: 1 }),
        load1: Type.Number({ minimum: 0 }),
        usage_pct: Type.Number({ minimum: 0, maximum: 100 }),
      },
      { additionalProperties: false },
    ),
    memory: Type.Object(
      { total: Type.Number({ minimum: 0 }), used: Type.Number({ minimum: 0 }) },
      { additionalProperties: false },
    ),
    disks: Type.Array(
      Type.Object(
        { mount: Type.String(), size: Type.Number({ minimum: 0 }), used: Type.Number({ minimum: 0 }) },
        { additionalProperties: false },
      ),
    ),
    temperature_c: Nullable(Type.Number()),
  },
  { additionalProperties: false },
);
export type HostStatus = Static<typeof HostStatus>;

/** The appliance's drain (issue 12): `drained` once no client session is left. */
export const DrainStatus = Type.Object(
  {
    state: Type.Union([Type.Literal('draining'), Type.Literal('drained')]),
    since: IsoTime,
    /** When live sessions are ended; null: they are waited for however long they take. */
    deadline: Nullable(IsoTime),
    /** Client sessions still live. */
    sessions: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type DrainStatus = Static<typeof DrainStatus>;

export const FleetStatus = Type.Object(
  {
    schema: Type.Literal(FLEET_STATUS_SCHEMA_VERSION),
    device: Type.Object(
      {
        id: Type.String({ minLength: 1 }),
        name: Type.String(),
        labels: Type.Record(Type.String(), Type.String()),
      },
      { additionalProperties: false },
    ),
    appliance: Type.Object(
      {
        version: Type.String({ minLength: 1 }),
        started_at: IsoTime,
        uptime_s: Type.Number({ minimum: 0 }),
        update: UpdateStatus,
        /** null when not draining; absent from devices older than the drain. */
        drain: Type.Optional(Nullable(DrainStatus)),
      },
      { additionalProperties: false },
    ),
    host: HostStatus,
    sessions: SessionsSummary,
    payload: Nullable(PayloadStatus),
    alerts: Type.Array(DeviceAlert),
    timestamp: IsoTime,
  },
  { additionalProperties: false },
);
export type FleetStatus = Static<typeof FleetStatus>;

/** GET /api/health: cheap liveness/readiness; update.sh waits on `version`. */
export const HealthResponse = Type.Object(
  {
    status: Type.Union([Type.Literal('ok'), Type.Literal('starting'), Type.Literal('stopping')]),
    version: Type.String(),
  },
  { additionalProperties: false },
);
export type HealthResponse = Static<typeof HealthResponse>;

/** GET /api/ready: the readiness check (a browser started and loaded the appliance's own page); 503 unless ready. */
export const ReadyResponse = Type.Object(
  {
    status: Type.Union([Type.Literal('ready'), Type.Literal('checking'), Type.Literal('failed'), Type.Literal('stopping')]),
    version: Type.String(),
    checked_at: Nullable(IsoTime),
    took_ms: Nullable(Type.Integer({ minimum: 0 })),
    failures: Type.Integer({ minimum: 0 }),
    error: Nullable(Type.String()),
  },
  { additionalProperties: false },
);
export type ReadyResponse = Static<typeof ReadyResponse>;

/** Every error body of both services. */
export const ErrorBody = Type.Object(
  {
    error: Type.Object(
      { code: Type.String(), message: Type.String() },
      { additionalProperties: false },
    ),
  },
  // The API docs show this as the description of every error response.
  { additionalProperties: false, description: 'An error: `code` says which (validation_failed, unauthorized, not_found, …), `message` what was wrong' },
);
export type ErrorBody = Static<typeof ErrorBody>;
