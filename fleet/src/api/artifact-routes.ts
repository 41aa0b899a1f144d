// What a session leaves behind, through the monitor (device/src/sessions/artifact-routes.ts): its
// logs, its downloads and its screen recording, from any device, while it lives and after, so the
// dashboard and its clients need only the monitor's address and token. JSON answers pass through
// as the device gave them (status and all). Files are streamed through and never held whole: the
// client's Range goes to the device, and its 200, 206 or 416 comes back with the headers that
// describe the bytes, so a <video> element seeks in a recording on a device it cannot reach.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { DOWNLOAD_NAME_PATTERN, ErrorBody, RecordingQuery, SessionDownloads, SessionLogs } from '../../../device/src/shared/index.js';
import type { Device } from '../devices/device-registry.js';
import { deviceById, deviceErrors, Params, passThrough } from './session-routes.js';

const FileParams = Type.Object({ ...Params.properties, name: Type.String({ pattern: DOWNLOAD_NAME_PATTERN }) }, { additionalProperties: false });
const fileErrors = { ...deviceErrors, 416: ErrorBody };

/** The device's headers that describe the bytes (and how to save them); nothing else of its answer. */
export const RELAYED_FILE_HEADERS = ['content-type', 'content-length', 'content-range', 'accept-ranges', 'content-disposition', 'cache-control', 'last-modified', 'etag'] as const;

/**
 * The client's headers a device may see: the range asked for, nothing else. Never the browser's
 * Origin or Sec-Fetch-* (the device would judge the dashboard's <video> another site) nor the
 * client's credentials (the monitor sends its own).
 */
export function deviceFileHeaders(clientHeaders: FastifyRequest['headers']): Record<string, string> {
  const range = clientHeaders.range;
  // Players send `bytes=N-` or `bytes=N-M`; anything longer is not a range a device serves.
  return typeof range === 'string' && range.length <= 200 ? { range } : {};
}

const artifactRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { registry, deviceApi, deviceStreams } = app;

  /** A device's JSON answer, status and body as they are (502 when there is none). */
  async function forwardJson(reply: FastifyReply, d: Device, path: string) {
    const { status, data } = await deviceApi.json(d, { path });
    return reply.code(status).send(data as SessionLogs);
  }

  /** A device's file answer, streamed as it comes: any status, the headers of the bytes, the body. */
  async function forwardFile(req: FastifyRequest, reply: FastifyReply, d: Device, path: string) {
    const method = req.method === 'HEAD' ? 'HEAD' : 'GET';
    const answer = await deviceStreams.open(d, { method, path, headers: deviceFileHeaders(req.headers) });
    reply.code(answer.status);
    for (const name of RELAYED_FILE_HEADERS) {
      const value = answer.headers[name];
      if (typeof value === 'string') reply.header(name, value);
    }
    // For HEAD the device's body is empty: Fastify drains it and keeps the device's content-length.
    return reply.send(answer.body);
  }

  const sessionPath = (p: { id: string }) => `/api/sessions/${encodeURIComponent(p.id)}`;

  app.get('/api/sessions/:device/:id/logs', { ...passThrough, schema: { params: Params, response: { 200: SessionLogs, ...deviceErrors } } }, async (req, reply) =>
    forwardJson(reply, deviceById(registry, req.params.device), `${sessionPath(req.params)}/logs`),
  );

  app.get('/api/sessions/:device/:id/downloads', { ...passThrough, schema: { params: Params, response: { 200: SessionDownloads, ...deviceErrors } } }, async (req, reply) =>
    forwardJson(reply, deviceById(registry, req.params.device), `${sessionPath(req.params)}/downloads`),
  );

  app.get(
    '/api/sessions/:device/:id/downloads/:name',
    {
      schema: {
        params: FileParams,
        response: { 200: { description: "The downloaded file as the device serves it (an attachment)", type: 'string', contentMediaType: 'application/octet-stream' }, 206: { description: 'A byte range of it', type: 'string' }, ...fileErrors },
      },
    },
    async (req, reply) => forwardFile(req, reply, deviceById(registry, req.params.device), `${sessionPath(req.params)}/downloads/${encodeURIComponent(req.params.name)}`),
  );

  app.get(
    '/api/sessions/:device/:id/recording',
    {
      // A <video> element cannot send the token as a header (route-access.ts, queryToken); it is
      // never passed on: the device gets the monitor's own.
      config: { queryToken: true },
      schema: {
        params: Params,
        querystring: RecordingQuery,
        response: { 200: { description: "The session's screen recording, fragmented MP4 (H.264)", type: 'string', contentMediaType: 'video/mp4' }, 206: { description: 'A byte range of it', type: 'string' }, ...fileErrors },
      },
    },
    async (req, reply) => forwardFile(req, reply, deviceById(registry, req.params.device), `${sessionPath(req.params)}/recording`),
  );
};

export default artifactRoutes;
