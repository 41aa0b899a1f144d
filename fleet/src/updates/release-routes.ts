// The releases the monitor holds, as the Releases page and the API see them: the catalog with what
// uses each release (devices running it, rollouts offering it), uploads that must verify, and
// deletion of releases no rollout needs.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ErrorBody } from '../../../device/src/shared/index.js';
import { ReleaseUploaded, type ReleaseUse, ReleaseView } from '../api/schemas.js';
import { VERSION_PATTERN } from './releases.js';
import type { UploadPart } from './release-uploads.js';
import { ReleaseInUseError } from './update-errors.js';

const VersionParams = Type.Object({ version: Type.String({ pattern: VERSION_PATTERN, maxLength: 100 }) }, { additionalProperties: false });

const releaseRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { rollouts, registry, releaseUploads } = app;

  function uses() {
    const byVersion = new Map<string, ReleaseUse[]>();
    const add = (version: string | null, use: ReleaseUse) => {
      if (version === null) return;
      byVersion.set(version, [...(byVersion.get(version) ?? []), use]);
    };
    for (const r of rollouts.rollouts()) {
      add(r.version, { channel: r.channel, role: 'current', state: r.state });
      add(r.previous_version, { channel: r.channel, role: 'previous', state: r.state });
    }
    return byVersion;
  }

  app.get('/api/releases', { schema: { response: { 200: Type.Array(ReleaseView), 401: ErrorBody } } }, async () => {
    const running = new Map<string, number>();
    for (const d of registry.all()) {
      const v = d.health.lastStatus?.appliance.version;
      if (v) running.set(v, (running.get(v) ?? 0) + 1);
    }
    const used = uses();
    return (await rollouts.releases.list()).map((r) => ({
      version: r.version,
      file: r.file,
      size: r.size,
      sha256: r.sha256,
      signed: r.signed,
      created_at: new Date(r.createdAt).toISOString(),
      devices: running.get(r.version) ?? 0,
      used_by: used.get(r.version) ?? [],
    }));
  });

  // multipart/form-data: tarball, sha256, signature (curl -F tarball=@… -F sha256=@….sha256 -F signature=@….sha256.sig).
  // The body is a stream the parser hands over part by part, so there is no body schema.
  app.post(
    '/api/releases',
    { schema: { response: { 201: ReleaseUploaded, 400: ErrorBody, 401: ErrorBody, 406: ErrorBody, 409: ErrorBody, 413: ErrorBody, 415: ErrorBody, 422: ErrorBody } } },
    async (req, reply) => {
      if (!req.isMultipart()) {
        return reply.code(415).send({ error: { code: 'unsupported_media_type', message: 'POST /api/releases takes multipart/form-data with the parts tarball, sha256 and signature' } });
      }
      const released = await releaseUploads.upload(req.parts() as AsyncIterable<UploadPart>);
      return reply.code(201).send(released);
    },
  );

  app.delete('/api/releases/:version', { schema: { params: VersionParams, response: { 204: Type.Null(), 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody } } }, async (req, reply) => {
    const { version } = req.params;
    const use = uses().get(version)?.[0];
    if (use) throw new ReleaseInUseError(version, use.channel, use.role);
    await releaseUploads.remove(version);
    return reply.code(204).send(null);
  });
};

export default releaseRoutes;
