// A session's artifacts over HTTP (issue 15, artifacts.ts): its recording (with range requests,
// while it records and after), its downloads, listed and served. Live and ended sessions alike,
// for as long as the artifacts are kept. Behind the token like every route; the recording also
// takes it as ?access_token= (queryToken), for the UIs' <video> element.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ErrorBody } from '../shared/contract.js';
import { sendFile } from '../shared/http/file-range.js';
import { DOWNLOAD_NAME_PATTERN, RecordingQuery, SESSION_ID_PATTERN, SessionDownloads } from '../shared/session-schemas.js';
import { NotFoundError, SessionNotFoundError } from '../shared/errors.js';

const Params = Type.Object({ id: Type.String({ pattern: SESSION_ID_PATTERN }) }, { additionalProperties: false });
const FileParams = Type.Object({ id: Type.String({ pattern: SESSION_ID_PATTERN }), name: Type.String({ pattern: DOWNLOAD_NAME_PATTERN }) }, { additionalProperties: false });
const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 416: ErrorBody };

const artifactRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const artifacts = app.sessionArtifacts;

  /** The session must be known: live, or ended with its artifacts still here. */
  async function known(id: string): Promise<void> {
    if (app.sessionManager.list().some((s) => s.id === id)) return;
    if (!(await artifacts.record(id))) throw new SessionNotFoundError(id);
  }

  app.get(
    '/api/sessions/:id/recording',
    {
      config: { queryToken: true },
      schema: {
        params: Params,
        querystring: RecordingQuery,
        response: { 200: { description: 'The screen recording, fragmented MP4 (H.264)', type: 'string', contentMediaType: 'video/mp4' }, 206: { description: 'A byte range of it', type: 'string' }, ...errors },
      },
    },
    async (req, reply) => {
      await known(req.params.id);
      return sendFile(req, reply, artifacts.recordingPath(req.params.id), { type: 'video/mp4', what: `session ${req.params.id} has no recording (create it with "record": true)` });
    },
  );

  app.get('/api/sessions/:id/downloads', { schema: { params: Params, response: { 200: SessionDownloads, ...errors } } }, async (req) => {
    await known(req.params.id);
    return { session: req.params.id, downloads: await artifacts.downloads(req.params.id) };
  });

  app.get(
    '/api/sessions/:id/downloads/:name',
    { schema: { params: FileParams, response: { 200: { description: 'The downloaded file, byte for byte', type: 'string', contentMediaType: 'application/octet-stream' }, 206: { description: 'A byte range of it', type: 'string' }, ...errors } } },
    async (req, reply) => {
      const { id, name } = req.params;
      await known(id);
      // Only a name the listing has: never a path built from what the client sent.
      const listed = (await artifacts.downloads(id)).find((d) => d.name === name);
      if (!listed) throw new NotFoundError(`session ${id} has no download ${JSON.stringify(name)}`);
      return sendFile(req, reply, `${artifacts.downloadsDir(id)}/${listed.name}`, { type: 'application/octet-stream', what: `session ${id} has no download ${JSON.stringify(name)}`, attachment: listed.name });
    },
  );
};

export default artifactRoutes;
