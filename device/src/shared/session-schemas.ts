// HTTP shapes of the sessions API (DESIGN.md, "Sessions"). The UI imports these types too.
import Type, { type Static, type TSchema } from 'typebox';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const SESSION_ID_PATTERN = '^[A-Za-z0-9_-]{1,64}$';
export const CLIENT_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.:@\\-]{0,127}$';
export const LABEL_KEY_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.\\-/]{0,62}$';

export const StartUrlWait = Type.Union([Type.Literal('none'), Type.Literal('domcontentloaded'), Type.Literal('load')]);
export type StartUrlWait = Static<typeof StartUrlWait>;

export const SessionStatus = Type.Union([
  Type.Literal('starting'),
  Type.Literal('ready'),
  Type.Literal('closing'),
  Type.Literal('closed'),
]);
export type SessionStatus = Static<typeof SessionStatus>;

export const Labels = Type.Record(Type.String(), Type.String({ maxLength: 256 }), {
  maxProperties: 32,
  propertyNames: { pattern: LABEL_KEY_PATTERN },
});

export interface SessionLimits {
  maxTtlS: number;
  maxIdleS: number;
}

/** A profile's name: a directory name of its own, never a path (no slash, no dot first). */
export const PROFILE_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$';

/** One profile in GET /api/profiles. */
export const ProfileView = Type.Object(
  {
    name: Type.String(),
    size_bytes: Type.Integer({ minimum: 0 }),
    modified_at: Type.String({ format: 'date-time' }),
    /** The live session using it, or null. */
    session: Nullable(Type.String()),
  },
  { additionalProperties: false },
);
export type ProfileView = Static<typeof ProfileView>;

export const ProfileList = Type.Object({ profiles: Type.Array(ProfileView) }, { additionalProperties: false });
export type ProfileList = Static<typeof ProfileList>;

/** DELETE /api/profiles/:name. */
export const ProfileDeleted = Type.Object({ deleted: Type.String() }, { additionalProperties: false });
export type ProfileDeleted = Static<typeof ProfileDeleted>;

/** http://, https:// or socks5:// proxy, with optional user:password@, host and port; no path. */
export const PROXY_PATTERN = '^(http|https|socks5)://([^\\s:@/]+(:[^\\s@/]*)?@)?[A-Za-z0-9.-]+(:\\d{1,5})?/?$';

/** A position every page of the session sees from navigator.geolocation: degrees, accuracy in metres. */
export const SessionGeolocation = Type.Object(
  {
    latitude: Type.Number({ minimum: -90, maximum: 90 }),
    longitude: Type.Number({ minimum: -180, maximum: 180 }),
    accuracy: Type.Optional(Type.Number({ minimum: 0, maximum: 100_000 })),
  },
  { additionalProperties: false },
);
export type SessionGeolocation = Static<typeof SessionGeolocation>;

export const MAX_BLOCK_URLS = 100;
export const MAX_EXTRA_ARGS = 32;
export const MAX_EXTENSIONS = 16;

/** POST /api/sessions. Limits come from config, so the schema is built at registration. */
export function createSessionBody(limits: SessionLimits) {
  return Type.Object(
    {
      headless: Type.Optional(Type.Boolean()),
      vnc: Type.Optional(Type.Boolean()),
      start_url: Type.Optional(Type.String({ maxLength: 2048, pattern: '^https?://[^\\s]+$', format: 'uri' })),
      start_url_wait: Type.Optional(StartUrlWait),
      ttl_s: Type.Optional(Type.Integer({ minimum: 1, maximum: limits.maxTtlS })),
      idle_s: Type.Optional(Type.Integer({ minimum: 1, maximum: limits.maxIdleS })),
      client_id: Type.Optional(Type.String({ pattern: CLIENT_ID_PATTERN })),
      width: Type.Optional(Type.Integer({ minimum: 200, maximum: 7680 })),
      height: Type.Optional(Type.Integer({ minimum: 200, maximum: 4320 })),
      labels: Type.Optional(Labels),
      // A persistent profile (cookies, storage and logins kept between sessions) by name.
      profile: Type.Optional(Type.String({ pattern: PROFILE_NAME_PATTERN })),
      // The session's identity, egress and browser settings (a session with any of them starts cold,
      // never from the pool).
      proxy: Type.Optional(Type.String({ maxLength: 2048, pattern: PROXY_PATTERN })),
      user_agent: Type.Optional(Type.String({ minLength: 1, maxLength: 512, pattern: '^[\\x20-\\x7e]+$' })),
      locale: Type.Optional(Type.String({ pattern: '^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$' })),
      timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$' })),
      geolocation: Type.Optional(SessionGeolocation),
      // URL patterns, `*` matching any run of characters, anywhere in the URL (DevTools' request blocking).
      block_urls: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 2048, pattern: '^[\\x21-\\x7e]+$' }), { maxItems: MAX_BLOCK_URLS })),
      // Chromium switches from an allow-list (extra-args.ts), checked by the session manager.
      extra_args: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), { maxItems: MAX_EXTRA_ARGS })),
      // Unpacked extensions installed under ${OUTPOST_DATA_DIR}/extensions/<name>, by name.
      extensions: Type.Optional(Type.Array(Type.String({ pattern: PROFILE_NAME_PATTERN }), { maxItems: MAX_EXTENSIONS, uniqueItems: true })),
      // Record the session's screen (headful sessions: vnc, or headless false).
      record: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  );
}
export type CreateSessionBody = Static<ReturnType<typeof createSessionBody>>;

/** POST /api/sessions/:id/touch: optional new lifetimes, counted from now. */
export function touchSessionBody(limits: SessionLimits) {
  return Nullable(
    Type.Object(
      {
        ttl_s: Type.Optional(Type.Integer({ minimum: 1, maximum: limits.maxTtlS })),
        idle_s: Type.Optional(Type.Integer({ minimum: 1, maximum: limits.maxIdleS })),
      },
      { additionalProperties: false },
    ),
  );
}
export type TouchSessionBody = { ttl_s?: number; idle_s?: number } | null;

export const SessionParams = Type.Object(
  { id: Type.String({ pattern: SESSION_ID_PATTERN }) },
  { additionalProperties: false },
);

export const VncInfo = Type.Object(
  {
    ws: Type.String(),
    http: Type.String(),
    password_protected: Type.Boolean(),
  },
  { additionalProperties: false },
);

/** A session's screen recording: how it goes, and its size so far. */
export const RecordingView = Type.Object(
  {
    status: Type.Union([Type.Literal('recording'), Type.Literal('finished'), Type.Literal('failed')]),
    error: Nullable(Type.String()),
    size_bytes: Type.Integer({ minimum: 0 }),
    url: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type RecordingView = Static<typeof RecordingView>;

export const DownloadView = Type.Object(
  { name: Type.String(), size_bytes: Type.Integer({ minimum: 0 }), modified_at: Type.String({ format: 'date-time' }) },
  { additionalProperties: false },
);
export type DownloadView = Static<typeof DownloadView>;

/**
 * The query of a recording route (the device's and the monitor's relay): the token, for a <video>
 * element that cannot send the header (route config `queryToken`, shared/http/auth.ts).
 */
export const RecordingQuery = Type.Object(
  {
    access_token: Type.Optional(Type.String({ description: 'The API token, for players that cannot send an Authorization header' })),
    token: Type.Optional(Type.String({ description: 'The same, spelled as connect-and-go clients do' })),
  },
  { additionalProperties: false },
);

/** File names a download is kept under: one path segment, never "." or "..". */
export const DOWNLOAD_NAME_PATTERN = '^(?!\\.\\.?$)[^/\\x00-\\x1f]{1,255}$';

/**
 * What a session leaves behind (artifacts.ts): its record, kept with its artifacts for
 * OUTPOST_ARTIFACT_RETENTION_H after it ends, listed by GET /api/sessions?ended=1.
 */
export const ArtifactRecord = Type.Object(
  {
    id: Type.String(),
    client_id: Nullable(Type.String()),
    profile: Nullable(Type.String()),
    protocol: Type.String(),
    headless: Type.Boolean(),
    vnc_enabled: Type.Boolean(),
    width: Type.Integer(),
    height: Type.Integer(),
    labels: Type.Record(Type.String(), Type.String()),
    start_url: Nullable(Type.String()),
    created_at: Type.String(),
    /** null while the session lives. */
    ended_at: Nullable(Type.String()),
    end_reason: Nullable(Type.String()),
    recording: Nullable(RecordingView),
    downloads: Type.Integer({ minimum: 0 }),
    size_bytes: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type ArtifactRecord = Static<typeof ArtifactRecord>;

export const SessionView = Type.Object(
  {
    id: Type.String(),
    backend: Type.Union([Type.Literal('process'), Type.Literal('docker')]),
    status: SessionStatus,
    client_id: Nullable(Type.String()),
    // Optional: older appliances do not send it.
    profile: Type.Optional(Nullable(Type.String())),
    headless: Type.Boolean(),
    vnc_enabled: Type.Boolean(),
    ws_endpoint: Type.String(),
    // The browser's DevTools protocol (Puppeteer, connectOverCDP), relayed like ws_endpoint; null
    // where the backend has none. Optional: older appliances do not send it.
    cdp_endpoint: Type.Optional(Nullable(Type.String())),
    vnc: Nullable(VncInfo),
    width: Type.Integer(),
    height: Type.Integer(),
    labels: Type.Record(Type.String(), Type.String()),
    start_url: Nullable(Type.String()),
    ttl_s: Type.Integer(),
    idle_s: Type.Integer(),
    created_at: Type.String(),
    last_seen_at: Type.String(),
    expires_at: Type.String(),
    connections: Type.Integer(),
    from_pool: Type.Boolean(),
    // With `record: true`; optional: older appliances do not send it.
    recording: Type.Optional(Nullable(RecordingView)),
  },
  { additionalProperties: false },
);
export type SessionView = Static<typeof SessionView>;

const PoolKindView = Type.Object(
  { ready: Type.Integer(), starting: Type.Integer(), target: Type.Integer() },
  { additionalProperties: false },
);

export const PoolView = Type.Object({ headless: PoolKindView, vnc: PoolKindView }, { additionalProperties: false });
export type PoolView = Static<typeof PoolView>;

export const CapacityView = Type.Object(
  {
    max_sessions: Type.Integer(),
    active: Type.Integer(),
    starting: Type.Integer(),
    policy: Type.Union([Type.Literal('reject'), Type.Literal('queue'), Type.Literal('recycle')]),
    queued: Type.Integer(),
  },
  { additionalProperties: false },
);

/** GET /api/sessions's query (the device's, and the monitor's across the fleet). */
export const SessionListQuery = Type.Object(
  {
    ended: Type.Optional(
      Type.Union([Type.Literal('1'), Type.Literal('true'), Type.Literal('0'), Type.Literal('false')], { description: 'Also list ended sessions whose artifacts are still kept (artifacts.ts)' }),
    ),
  },
  { additionalProperties: false },
);
export type SessionListQuery = Static<typeof SessionListQuery>;

export const wantsEnded = (q: SessionListQuery | undefined): boolean => q?.ended === '1' || q?.ended === 'true';

export const SessionList = Type.Object(
  {
    sessions: Type.Array(SessionView),
    pool: PoolView,
    capacity: CapacityView,
    // With ?ended=1: sessions that ended and whose artifacts are still kept, newest first.
    ended: Type.Optional(Type.Array(ArtifactRecord)),
  },
  { additionalProperties: false },
);
export type SessionList = Static<typeof SessionList>;

/** GET /api/sessions/:id/logs (session-logs.ts): what happened in a session, live or ended. */
export const SessionLogEntry = Type.Object(
  { at: Type.String(), kind: Type.String(), level: Type.String(), message: Type.String(), url: Type.Optional(Type.String()) },
  { additionalProperties: false },
);
export type SessionLogEntry = Static<typeof SessionLogEntry>;
export const SessionLogs = Type.Object(
  { session: Type.String(), ended: Type.Boolean(), dropped: Type.Integer(), entries: Type.Array(SessionLogEntry) },
  { additionalProperties: false },
);
export type SessionLogs = Static<typeof SessionLogs>;

/** GET /api/sessions/:id/downloads (artifact-routes.ts). */
export const SessionDownloads = Type.Object({ session: Type.String(), downloads: Type.Array(DownloadView) }, { additionalProperties: false });
export type SessionDownloads = Static<typeof SessionDownloads>;
