// The update server's HTTP side (DESIGN.md, "Update server"): release files and their catalog,
// per-channel manifests for scripts/update.sh, update reports, rollout control, and the deploy
// history (rollouts and Ansible runs).
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import Type, { type TSchema } from 'typebox';
import { BadRequestError, ConflictError, ErrorBody, NotFoundError, presentedToken } from '../../../device/src/shared/index.js';
import { createDeviceCredentials } from './device-credential.js';
import { VERSION_PATTERN, isServableName } from './releases.js';
import { actorOf } from '../api/actor.js';
import type { DeployEntry } from './deploy-history.js';
import { ChannelView, DeployView, DeviceUpdateView, ReportView, RolloutBody, RolloutDevice, RolloutState, Target } from './update-schemas.js';
import { DeployEndedError, NotThisDeviceError, UnknownDeviceError } from './update-errors.js';
import type { RolloutView } from './rollouts.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Iso = Type.String({ format: 'date-time' });
// Loose on purpose: a device reports whatever its VERSION says, dev builds included.
const ReportedVersion = Type.String({ minLength: 1, maxLength: 100, pattern: '^[0-9A-Za-z.+\\-]+$' });
const DeviceId = Type.String({ minLength: 1, maxLength: 253, pattern: '^[\\x21-\\x7e]+$' });
const Errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody };

const ChannelParams = Type.Object({ channel: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9_\\-]*$' }) }, { additionalProperties: false });
const FileParams = Type.Object({ file: Type.String({ minLength: 1, maxLength: 300 }) }, { additionalProperties: false });



const StartBody = Type.Object(
  {
    version: Type.String({ pattern: VERSION_PATTERN, maxLength: 100 }),
    percent: Type.Integer({ minimum: 0, maximum: 100 }),
    // Selected devices switch without waiting for live sessions to drain. Off unless posted.
    force: Type.Optional(Type.Boolean()),
    // A registry group and/or labels the percent is taken of; left out (or empty), every device.
    target: Type.Optional(Nullable(Target)),
  },
  { additionalProperties: false },
);
const HaltBody = Type.Object({ reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) }, { additionalProperties: false });

const ManifestQuery = Type.Object({ device: DeviceId }, { additionalProperties: false });
const ManifestBody = Type.Object({
  channel: Type.String(),
  version: Nullable(Type.String()),
  url: Nullable(Type.String()),
  sha256: Nullable(Type.String()),
  sha256_url: Nullable(Type.String()),
  signature_url: Nullable(Type.String()),
  size: Nullable(Type.Integer()),
  selected: Type.Boolean(),
  // update.sh reads `.force` at the top level: true, it switches without waiting for the drain.
  force: Type.Boolean(),
  rollout: Nullable(Type.Object({ percent: Type.Integer(), state: RolloutState })),
});

const ReportBody = Type.Object(
  {
    device: DeviceId,
    channel: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9_\\-]*$' }))),
    from_version: Type.Optional(Nullable(ReportedVersion)),
    to_version: Type.Optional(Nullable(ReportedVersion)),
    result: Type.Union([
      Type.Literal('updated'),
      Type.Literal('current'),
      Type.Literal('rolled_back'),
      Type.Literal('failed'),
      Type.Literal('refused'),
      Type.Literal('in_progress'),
      Type.Literal('postponed'),
      Type.Literal('waiting_window'),
    ]),
    message: Type.Optional(Nullable(Type.String({ maxLength: 4000 }))),
  },
  { additionalProperties: false },
);
const ReportsQuery = Type.Object(
  { since: Type.Optional(Iso), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 200 })) },
  { additionalProperties: false },
);


const HistoryQuery = Type.Object(
  {
    channel: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9_\\-]*$' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  },
  { additionalProperties: false },
);
const DeviceParams = Type.Object({ id: DeviceId }, { additionalProperties: false });
const DeviceUpdatesQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })) }, { additionalProperties: false });
const Word = Type.String({ minLength: 1, maxLength: 40, pattern: '^[a-z][a-z0-9_]*$' });
const Hosts = Type.Array(Type.String({ minLength: 1, maxLength: 253 }), { maxItems: 10_000 });
const DeployStartBody = Type.Object(
  {
    version: Type.String({ pattern: VERSION_PATTERN, maxLength: 100 }),
    // What the run is: a deploy of `version`, or a rollback to it.
    kind: Type.Optional(Type.Union([Type.Literal('deploy'), Type.Literal('rollback')])),
    channel: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9_\\-]*$' }))),
    target: Type.Optional(Nullable(Target)),
    message: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
    hosts: Type.Optional(Hosts),
  },
  { additionalProperties: false },
);
const DeployParams = Type.Object({ id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });
const DeployPatchBody = Type.Object(
  {
    // A step on the way, e.g. {kind: "wave", message: "wave 1: 3 hosts updated", devices: [...]}.
    event: Type.Optional(Type.Object({ kind: Word, message: Type.String({ minLength: 1, maxLength: 2000 }), devices: Type.Optional(Hosts) }, { additionalProperties: false })),
    // Ends the run: succeeded, failed, rolled_back, … (a word), with an optional message.
    outcome: Type.Optional(Word),
    message: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
    devices: Type.Optional(Hosts),
  },
  { additionalProperties: false },
);

const iso = (ms: number) => new Date(ms).toISOString();

function deployView(d: DeployEntry) {
  return { ...d, started_at: iso(d.started_at), ended_at: d.ended_at === null ? null : iso(d.ended_at), events: d.events.map((e) => ({ ...e, ts: iso(e.ts) })) };
}

function rolloutView(r: RolloutView) {
  return { ...r, started_at: iso(r.started_at), updated_at: iso(r.updated_at) };
}

function contentType(file: string): string {
  if (file.endsWith('.sha256')) return 'text/plain; charset=utf-8';
  if (file.endsWith('.sig')) return 'application/octet-stream';
  return 'application/gzip';
}

/** Absolute, on the address the device used to reach the monitor (its VPN address, typically). */
function releaseUrl(req: FastifyRequest, file: string): string {
  return `${req.protocol}://${req.host}/releases/${encodeURIComponent(file)}`;
}

const CredentialBody = Type.Object({ device: DeviceId }, { additionalProperties: false });
const CredentialView = Type.Object({ device: Type.String(), token: Type.String() });

const updateRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { rollouts, registry, config } = app;
  const dir = rollouts.releases.dir;
  const credentials = config.updates.token === undefined ? null : createDeviceCredentials(config.updates.token);

  /**
   * A device's own credential acts for that device only, and only while the inventory lists it;
   * the admin token (auth has already passed) acts for any. Held by update-routes.int.test.ts
   * ("a device reports only for itself").
   */
  function requireSelf(req: FastifyRequest, claimed: string): void {
    const self = credentials?.deviceOf(presentedToken(req)) ?? null;
    if (self === null) return;
    if (self !== claimed) throw new NotThisDeviceError(self, claimed);
    if (!registry.get(self)) throw new UnknownDeviceError(self);
  }

  app.route({
    method: ['GET', 'HEAD'],
    url: '/releases/:file',
    // 200 is the file itself, streamed (never serialized).
    schema: { params: FileParams, response: { 200: Type.Unknown(), ...Errors } },
    handler: async (req, reply) => {
      const { file } = req.params;
      // The name pattern has no '/' and no leading dot, so the path cannot leave the directory.
      if (!isServableName(file)) throw new NotFoundError(`no release file ${JSON.stringify(file)}`);
      let handle;
      try {
        handle = await open(join(dir, file), 'r');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`no release file ${JSON.stringify(file)}`);
        throw err;
      }
      // Size and content come from the same open file, even if it is replaced meanwhile.
      const st = await handle.stat();
      if (!st.isFile()) {
        await handle.close();
        throw new NotFoundError(`no release file ${JSON.stringify(file)}`);
      }
      void reply
        .type(contentType(file))
        .header('content-length', String(st.size))
        .header('last-modified', st.mtime.toUTCString())
        .header('cache-control', 'no-cache');
      if (req.method === 'HEAD') {
        await handle.close();
        return reply.send(undefined);
      }
      return reply.send(handle.createReadStream());
    },
  });

  app.get('/api/channels', { schema: { response: { 200: Type.Array(ChannelView), 401: ErrorBody } } }, async () => rollouts.channels());

  app.get('/api/rollouts', { schema: { response: { 200: Type.Array(RolloutBody), 401: ErrorBody } } }, async () => (await rollouts.list()).map(rolloutView));

  app.post(
    '/api/rollouts/:channel',
    { schema: { params: ChannelParams, body: StartBody, response: { 200: RolloutBody, ...Errors, 409: ErrorBody } } },
    async (req) =>
      rolloutView(await rollouts.start(req.params.channel, req.body.version, req.body.percent, req.body.force ?? false, { target: req.body.target ?? null, startedBy: actorOf(req) })),
  );

  app.get('/api/rollouts/history', { schema: { querystring: HistoryQuery, response: { 200: Type.Array(DeployView), 400: ErrorBody, 401: ErrorBody } } }, async (req) => {
    if (req.query.channel !== undefined) rollouts.assertChannel(req.query.channel);
    return (await rollouts.history.list(req.query.channel ?? null, req.query.limit ?? 50)).map(deployView);
  });

  app.get('/api/rollouts/:channel/devices', { schema: { params: ChannelParams, response: { 200: Type.Array(RolloutDevice), ...Errors } } }, async (req) =>
    (await rollouts.devices(req.params.channel)).sort((a, b) => a.device.localeCompare(b.device)),
  );

  app.get('/api/devices/:id/updates', { schema: { params: DeviceParams, querystring: DeviceUpdatesQuery, response: { 200: Type.Array(DeviceUpdateView), ...Errors } } }, async (req) => {
    const rows = await rollouts.deviceReports(req.params.id, req.query.limit ?? 100);
    // A device the inventory no longer lists keeps its timeline while reports about it remain.
    if (rows.length === 0 && !registry.get(req.params.id)) throw new NotFoundError(`device ${JSON.stringify(req.params.id)} is not in the fleet's inventory`);
    return rows.map((r) => ({ ts: iso(r.ts), channel: r.channel, from_version: r.from_version, to_version: r.to_version, result: r.result, message: r.message }));
  });

  // Ansible's deploy.yml and rollback.yml record their runs in the same history as rollouts.
  app.post('/api/deploys', { schema: { body: DeployStartBody, response: { 201: DeployView, ...Errors } } }, async (req, reply) => {
    const { version, kind = 'deploy', channel = null, target = null, hosts = [] } = req.body;
    if (channel !== null) rollouts.assertChannel(channel);
    const by = actorOf(req);
    const id = await rollouts.history.start({
      source: 'ansible',
      channel,
      version,
      target,
      startedBy: by,
      message: req.body.message ?? `Ansible ${kind === 'rollback' ? 'rollback to' : 'deploy of'} ${version} started by ${by}${hosts.length ? ` on ${hosts.length} host${hosts.length === 1 ? '' : 's'}` : ''}`,
    });
    return reply.code(201).send(deployView(await rollouts.history.get(id)));
  });

  app.patch('/api/deploys/:id', { schema: { params: DeployParams, body: DeployPatchBody, response: { 200: DeployView, ...Errors, 409: ErrorBody } } }, async (req) => {
    const { id } = req.params;
    const { event, outcome, message, devices = [] } = req.body;
    if (!event && !outcome) throw new BadRequestError('nothing to record: give an event ({kind, message}) and/or an outcome');
    if (event) await rollouts.history.event(id, event.kind, event.message, event.devices ?? []);
    if (outcome && !(await rollouts.history.end(id, outcome, message ?? `ended: ${outcome}`, devices))) throw new DeployEndedError(id);
    return deployView(await rollouts.history.get(id));
  });

  app.post(
    '/api/rollouts/:channel/halt',
    {
      schema: { params: ChannelParams, body: HaltBody, response: { 200: RolloutBody, ...Errors } },
      // `curl -X POST …/halt` with no body at all is a halt without a reason.
      preValidation: async (req) => {
        if (req.body === undefined || req.body === null) req.body = {};
      },
    },
    async (req) => rolloutView(await rollouts.halt(req.params.channel, req.body.reason, actorOf(req))),
  );

  app.post('/api/rollouts/:channel/resume', { schema: { params: ChannelParams, response: { 200: RolloutBody, ...Errors } } }, async (req) =>
    rolloutView(await rollouts.resume(req.params.channel, actorOf(req))),
  );

  app.route({
    method: ['GET', 'HEAD'],
    url: '/api/channels/:channel/manifest',
    schema: { params: ChannelParams, querystring: ManifestQuery, response: { 200: ManifestBody, ...Errors, 403: ErrorBody } },
    handler: async (req) => {
      requireSelf(req, req.query.device);
      const m = await rollouts.manifest(req.params.channel, req.query.device);
      const file = m.release?.file;
      return {
        channel: m.channel,
        version: m.version,
        url: file ? releaseUrl(req, file) : null,
        sha256: m.release?.sha256 ?? null,
        sha256_url: file ? releaseUrl(req, `${file}.sha256`) : null,
        signature_url: file ? releaseUrl(req, `${file}.sha256.sig`) : null,
        size: m.release?.size ?? null,
        selected: m.selected,
        force: m.force,
        rollout: m.rollout,
      };
    },
  });

  app.post(
    '/api/updates/report',
    { schema: { body: ReportBody, response: { 202: Type.Object({ recorded: Type.Literal(true) }), ...Errors, 403: ErrorBody } } },
    async (req, reply) => {
      requireSelf(req, req.body.device);
      await rollouts.report(req.body);
      app.fleetMetrics.updateReport(req.body.result);
      return reply.code(202).send({ recorded: true as const });
    },
  );

  // An admin hands a device its update credential (install.sh --update-token); Ansible derives
  // the same value itself.
  app.post('/api/updates/credentials', { schema: { body: CredentialBody, response: { 200: CredentialView, ...Errors, 409: ErrorBody } } }, async (req) => {
    if (!credentials) throw new ConflictError('no_update_secret', 'the monitor has no OUTPOST_FLEET_UPDATE_TOKEN to derive device credentials from');
    if (!registry.get(req.body.device)) throw new NotFoundError(`device ${JSON.stringify(req.body.device)} is not in the fleet's inventory`);
    return { device: req.body.device, token: credentials.tokenFor(req.body.device) };
  });

  app.get('/api/updates/reports', { schema: { querystring: ReportsQuery, response: { 200: Type.Array(ReportView), 400: ErrorBody, 401: ErrorBody } } }, async (req) => {
    const since = req.query.since ? Date.parse(req.query.since) : 0;
    return (await rollouts.reports(since, req.query.limit ?? 200)).map((r) => ({
      device: r.device_id,
      ts: iso(r.ts),
      channel: r.channel,
      from_version: r.from_version,
      to_version: r.to_version,
      result: r.result,
      message: r.message,
    }));
  });
};

export default updateRoutes;
