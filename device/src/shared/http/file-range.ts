// Serving a file with HTTP range requests (RFC 9110, single ranges): video players seek in a
// recording this way, and a download resumes. A file that is still growing (a recording in
// progress) is served as it is at the moment of the request.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, NotFoundError } from '../errors.js';

export class RangeNotSatisfiableError extends AppError {
  constructor(size: number) {
    super('range_not_satisfiable', `the range asked for is outside the file's ${size} bytes`, 416, { 'content-range': `bytes */${size}` });
  }
}

/** The one byte range of a `Range` header within `size` bytes; null for the whole file. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  // Several ranges, or another unit: the whole file, as the RFC allows.
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start: number;
  let end: number;
  if (m[1] === '') {
    // The last N bytes.
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) throw new RangeNotSatisfiableError(size);
  return { start, end };
}

/** Sends `path` (200, or 206 for a range); a missing file is a 404 saying `what`. */
export async function sendFile(req: FastifyRequest, reply: FastifyReply, path: string, opts: { type: string; what: string; attachment?: string }): Promise<FastifyReply> {
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) throw new NotFoundError(opts.what);
  const range = parseRange(req.headers.range, info.size);
  reply.header('accept-ranges', 'bytes').header('cache-control', 'no-store').type(opts.type);
  if (opts.attachment !== undefined) reply.header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(opts.attachment)}`);
  if (!range) {
    reply.header('content-length', info.size);
    return reply.send(info.size === 0 ? '' : createReadStream(path, { start: 0, end: info.size - 1 }));
  }
  return reply
    .code(206)
    .header('content-range', `bytes ${range.start}-${range.end}/${info.size}`)
    .header('content-length', range.end - range.start + 1)
    .send(createReadStream(path, range));
}
