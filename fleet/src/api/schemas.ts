// The fleet API's bodies as TypeBox schemas: the routes validate and serialize with them, and the
// dashboard (web/fleet/src/api.ts) takes its types from them (type-only imports, `Static`), so the
// UI cannot drift from what the monitor sends. Shapes are snake_case, times ISO strings.
import Type, { type Static, type TSchema } from 'typebox';
import { ArtifactRecord, CLIENT_ID_PATTERN, FleetStatus, PROFILE_NAME_PATTERN, SessionView, StartUrlWait, createSessionBody } from '../../../device/src/shared/index.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const DeviceStatusSchema = Type.Union([
  Type.Literal('online'),
  Type.Literal('suspect'),
  Type.Literal('offline'),
  Type.Literal('degraded'),
  Type.Literal('unknown'),
]);
export type DeviceStatus = Static<typeof DeviceStatusSchema>;

/** A device in /api/devices (view=summary leaves out last_status). */
export const DeviceView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  address: Type.String(),
  port: Type.Integer(),
  groups: Type.Array(Type.String()),
  labels: Type.Record(Type.String(), Type.String()),
  status: DeviceStatusSchema,
  reason: Nullable(Type.String()),
  version: Nullable(Type.String()),
  last_seen: Nullable(Type.String()),
  latency_ms: Nullable(Type.Number()),
  sessions: Nullable(
    Type.Object({
      active: Type.Integer(),
      capacity: Type.Integer(),
      /** Creates the device turned away since it started (every protocol and reason); absent from devices that do not count. */
      rejected: Type.Optional(Type.Integer()),
    }),
  ),
  alerts: Type.Integer(),
  flapping: Type.Boolean(),
  /** The device's drain (it takes no new sessions): null when it takes sessions. */
  drain: Nullable(Type.Union([Type.Literal('draining'), Type.Literal('drained')])),
  url: Type.String(),
  /** The monitor that polls the device (several monitors share a PostgreSQL store); null while no monitor is live. */
  polled_by: Nullable(Type.String()),
  last_status: Type.Optional(Nullable(FleetStatus)),
});
export type DeviceView = Static<typeof DeviceView>;

export const CountByKey = Type.Object({ key: Type.String(), count: Type.Integer() });
export type CountByKey = Static<typeof CountByKey>;

/** GET /api/devices/summary */
export const FleetSummary = Type.Object({
  total: Type.Integer(),
  by_status: Type.Record(Type.String(), Type.Integer()),
  versions: Type.Array(CountByKey),
  groups: Type.Array(CountByKey),
  alerts_open: Type.Integer(),
  target_version: Nullable(Type.String()),
  last_cycle: Nullable(Type.Object({ started_at: Type.String(), duration_ms: Type.Number(), polled: Type.Integer(), ok: Type.Integer(), failed: Type.Integer() })),
});
export type FleetSummary = Static<typeof FleetSummary>;

export const Transition = Type.Object({ ts: Type.String(), from: DeviceStatusSchema, to: DeviceStatusSchema, reason: Nullable(Type.String()) });
export type Transition = Static<typeof Transition>;

export const AlertSeverity = Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')]);
export type AlertSeverity = Static<typeof AlertSeverity>;

/** GET /api/devices/:id */
export const DeviceDetail = Type.Object({
  ...DeviceView.properties,
  transitions: Type.Array(Transition),
  alerts_recent: Type.Array(
    Type.Object({
      id: Type.Integer(),
      key: Type.String(),
      rule: Type.String(),
      severity: AlertSeverity,
      title: Type.String(),
      opened_at: Type.String(),
      resolved_at: Nullable(Type.String()),
    }),
  ),
});
export type DeviceDetail = Static<typeof DeviceDetail>;

const NullableNumber = Nullable(Type.Number());

export const Snapshot = Type.Object({
  ts: Type.String(),
  status: DeviceStatusSchema,
  cpu_pct: NullableNumber,
  mem_pct: NullableNumber,
  disk_pct: NullableNumber,
  temperature_c: NullableNumber,
  sessions_active: NullableNumber,
  latency_ms: NullableNumber,
  version: Nullable(Type.String()),
});
export type Snapshot = Static<typeof Snapshot>;

/** GET /api/devices/:id/history */
export const DeviceHistory = Type.Object({ device: Type.String(), snapshots: Type.Array(Snapshot), transitions: Type.Array(Transition) });
export type DeviceHistory = Static<typeof DeviceHistory>;

/** GET /api/versions */
export const VersionCount = Type.Object({ version: Type.String(), count: Type.Integer(), online: Type.Integer() });
export type VersionCount = Static<typeof VersionCount>;

export const AlertState = Type.Union([Type.Literal('open'), Type.Literal('resolved')]);
export type AlertState = Static<typeof AlertState>;

/** GET /api/alerts */
export const FleetAlert = Type.Object({
  id: Type.Integer(),
  key: Type.String(),
  /** null for alerts about the fleet as a whole. */
  device_id: Nullable(Type.String()),
  rule: Type.String(),
  severity: AlertSeverity,
  title: Type.String(),
  message: Type.String(),
  state: AlertState,
  opened_at: Type.String(),
  resolved_at: Nullable(Type.String()),
  last_notified_at: Nullable(Type.String()),
  notify_count: Type.Integer(),
  /** Ids of the active silences that mute it; empty when nothing does (and for resolved alerts). */
  silenced_by: Type.Array(Type.Integer()),
  /** Who acknowledged it and when: no reminders while set. */
  acked_at: Nullable(Type.String()),
  acked_by: Nullable(Type.String()),
});
export type FleetAlert = Static<typeof FleetAlert>;

/** GET /api/notifications: what was sent about which alert, on which channel, and how it went. */
export const NotificationView = Type.Object({
  alert_id: Type.Integer(),
  kind: Type.String(),
  channel: Type.String(),
  ts: Type.String(),
  ok: Type.Boolean(),
  attempts: Type.Integer(),
  error: Nullable(Type.String()),
});
export type NotificationView = Static<typeof NotificationView>;
/** A silence matcher: name device, group, rule, severity or label:<key>; the value must equal. */
export const SilenceMatcher = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 80 }), value: Type.String({ minLength: 1, maxLength: 253 }) },
  { additionalProperties: false },
);

/** GET /api/silences */
export const Silence = Type.Object({
  id: Type.Integer(),
  matchers: Type.Array(SilenceMatcher),
  starts_at: Type.String(),
  ends_at: Type.String(),
  /** planned: starts later (maintenance); expired: ended (or ended early). */
  state: Type.Union([Type.Literal('active'), Type.Literal('planned'), Type.Literal('expired')]),
  comment: Type.String(),
  created_by: Type.String(),
  created_at: Type.String(),
});
export type Silence = Static<typeof Silence>;

/** POST /api/silences: ends_at or duration_s; starts_at defaults to now. */
export const CreateSilenceBody = Type.Object(
  {
    matchers: Type.Array(SilenceMatcher, { minItems: 1, maxItems: 20 }),
    starts_at: Type.Optional(Type.String({ maxLength: 40 })),
    ends_at: Type.Optional(Type.String({ maxLength: 40 })),
    duration_s: Type.Optional(Type.Integer({ minimum: 60, maximum: 366 * 24 * 3600 })),
    comment: Type.String({ minLength: 1, maxLength: 1000 }),
  },
  { additionalProperties: false },
);
export type CreateSilenceBody = Static<typeof CreateSilenceBody>;

/**
 * A device's session as the monitor relays it: URLs rewritten to the monitor's (the websockets,
 * the live view, `recording.url`), plus the device id.
 */
export const FleetSession = Type.Evaluate(Type.Intersect([SessionView, Type.Object({ device: Type.String() })]));
export type FleetSession = Static<typeof FleetSession>;

/** An ended session a device keeps the artifacts of, with its device; `recording.url` is the monitor's. */
export const FleetEndedSession = Type.Evaluate(Type.Intersect([ArtifactRecord, Type.Object({ device: Type.String() })]));
export type FleetEndedSession = Static<typeof FleetEndedSession>;

/** GET /api/sessions: the sessions of every busy device, and the devices that did not answer (the
 * route passes sessions through unserialized, so a newer device's fields reach its clients). With
 * ?ended=1, every online device is asked, and `ended` has their ended sessions, newest end first. */
export const FleetSessionList = Type.Object({
  sessions: Type.Array(FleetSession),
  ended: Type.Optional(Type.Array(FleetEndedSession)),
  errors: Type.Array(Type.Object({ device: Type.String(), message: Type.String() })),
});
export type FleetSessionList = Static<typeof FleetSessionList>;

// The device validates the session fields in full; the monitor checks their shape to answer bad
// input itself instead of forwarding it.
/** POST /api/sessions: a device session's fields, on a given device or (device omitted) the least-loaded one. */
const { proxy, user_agent, locale, timezone, geolocation, block_urls, extra_args, extensions } = createSessionBody({ maxTtlS: Number.MAX_SAFE_INTEGER, maxIdleS: Number.MAX_SAFE_INTEGER }).properties;
const identityFields = { proxy, user_agent, locale, timezone, geolocation, block_urls, extra_args, extensions };

export const FleetCreateSessionBody = Type.Object(
  {
    device: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })),
    headless: Type.Optional(Type.Boolean()),
    vnc: Type.Optional(Type.Boolean()),
    start_url: Type.Optional(Type.String({ maxLength: 2048, pattern: '^https?://[^\\s]+$' })),
    start_url_wait: Type.Optional(StartUrlWait),
    ttl_s: Type.Optional(Type.Integer({ minimum: 1 })),
    idle_s: Type.Optional(Type.Integer({ minimum: 1 })),
    client_id: Type.Optional(Type.String({ pattern: CLIENT_ID_PATTERN })),
    width: Type.Optional(Type.Integer({ minimum: 200, maximum: 7680 })),
    height: Type.Optional(Type.Integer({ minimum: 200, maximum: 4320 })),
    labels: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: 256 }), { maxProperties: 32 })),
    profile: Type.Optional(Type.String({ pattern: PROFILE_NAME_PATTERN })),
    // Record the screen (headful sessions; the device says so when it cannot).
    record: Type.Optional(Type.Boolean()),
    // The session's identity, egress and browser settings, in the device's own shapes (the device
    // checks the rest: time zones, the switches' allow-list, installed extensions).
    ...identityFields,
  },
  { additionalProperties: false },
);
export type FleetCreateSessionBody = Static<typeof FleetCreateSessionBody>;

/**
 * ws://<monitor>/playwright and /cdp (connect-routes.ts): the create body's scalar fields, and the
 * token. The list and position fields stay out: connect through the device (its connect URL takes
 * them) or create the session first.
 */
const { labels: _labels, geolocation: _g, block_urls: _b, extra_args: _e, extensions: _x, ...connectFields } = FleetCreateSessionBody.properties;
export const FleetConnectQuery = Type.Object(
  { ...connectFields, token: Type.Optional(Type.String()), access_token: Type.Optional(Type.String()) },
  { additionalProperties: false },
);
export type FleetConnectQuery = Static<typeof FleetConnectQuery>;

// The releases the monitor holds (fleet/src/updates/release-routes.ts).
const RolloutStateSchema = Type.Union([Type.Literal('active'), Type.Literal('halted'), Type.Literal('complete')]);
export const ReleaseUse = Type.Object({
  channel: Type.String(),
  // current: the version the channel's rollout offers; previous: the one its unselected devices keep.
  role: Type.Union([Type.Literal('current'), Type.Literal('previous')]),
  state: RolloutStateSchema,
});
export type ReleaseUse = Static<typeof ReleaseUse>;

export const ReleaseView = Type.Object({
  version: Type.String(),
  file: Type.String(),
  size: Type.Integer(),
  sha256: Nullable(Type.String()),
  signed: Type.Boolean(),
  created_at: Type.String({ format: 'date-time' }),
  /** Devices whose last status reports this version. */
  devices: Type.Integer(),
  used_by: Type.Array(ReleaseUse),
});
export type ReleaseView = Static<typeof ReleaseView>;

export const ReleaseUploaded = Type.Object({ version: Type.String(), file: Type.String(), size: Type.Integer(), sha256: Type.String() });
export type ReleaseUploaded = Static<typeof ReleaseUploaded>;

const MonitorCycle = Type.Object({ at: Type.String(), duration_ms: Type.Number(), polled: Type.Integer(), ok: Type.Integer(), failed: Type.Integer(), cpu_ms: Type.Number() });

/** A monitor of the fleet (GET /api/monitors): its lease, whether it leads, its share and its own health. */
export const MonitorView = Type.Object({
  id: Type.String(),
  url: Nullable(Type.String()),
  hostname: Nullable(Type.String()),
  pid: Nullable(Type.Integer()),
  version: Nullable(Type.String()),
  started_at: Type.String(),
  renewed_at: Type.String(),
  lease_until: Type.String(),
  /** Its lease has not lapsed: it polls its share. */
  alive: Type.Boolean(),
  /** It holds the leader lock: alert notifications and pruning run there. */
  leader: Type.Boolean(),
  /** The monitor that answered this request. */
  self: Type.Boolean(),
  /** Devices in its share now. */
  devices: Type.Integer(),
  last_cycle: Nullable(MonitorCycle),
  rss_bytes: Nullable(Type.Integer()),
});

export type MonitorView = Static<typeof MonitorView>;

export const MonitorList = Type.Object({
  /** single: a SQLite store, one monitor; shared: monitors splitting the fleet over a PostgreSQL store. */
  mode: Type.Union([Type.Literal('single'), Type.Literal('shared')]),
  self: Type.String(),
  leader: Nullable(Type.String()),
  lease_s: Type.Number(),
  monitors: Type.Array(MonitorView),
});
export type MonitorList = Static<typeof MonitorList>;
