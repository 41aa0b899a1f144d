// Releases put on the monitor from the dashboard or the API (POST /api/releases) and taken off it
// (DELETE /api/releases/:version). An upload streams to a dot-named temp file in the releases
// directory (never servable: releases.ts serves release names only), is verified (release-verify.ts),
// then renamed in: .sha256 and .sig first, the tarball last, so the catalog never lists it half
// there. Every other way out removes the temp files (held by release-upload-routes.int.test.ts,
// "an aborted upload leaves nothing").
import { createHash, randomBytes, type KeyObject } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ConflictError, type Log } from '../../../device/src/shared/index.js';
import { tarballName, versionOfTarball } from './releases.js';
import { verifyRelease } from './release-verify.js';
import { ReleaseExistsError, ReleaseKeyNotConfiguredError, ReleaseNotFoundError, ReleaseTooLargeError, ReleaseUploadIncompleteError } from './update-errors.js';

/** What the multipart parser hands over (shaped like @fastify/multipart's parts). */
export type UploadPart =
  | { type: 'file'; fieldname: string; filename: string; file: Readable & { truncated?: boolean } }
  | { type: 'field'; fieldname: string; value: unknown };

export const UPLOAD_FIELDS = { tarball: 'tarball', sha256: 'sha256', signature: 'signature' } as const;
/** The .sha256 is one line and the signature 64 bytes: anything bigger is not what build-release.sh wrote. */
const SMALL_PART_MAX = 4096;
export const TEMP_PREFIX = '.upload-';

export interface ReleaseUploadsOptions {
  dir: string;
  publicKey: KeyObject | undefined;
  maxBytes: number;
  log: Log;
}

async function readSmall(part: UploadPart, what: string): Promise<Buffer> {
  if (part.type === 'field') {
    const text = typeof part.value === 'string' ? part.value : '';
    if (Buffer.byteLength(text) > SMALL_PART_MAX) throw new ReleaseUploadIncompleteError(`the ${what} part is larger than ${SMALL_PART_MAX} bytes`);
    return Buffer.from(text, 'utf8');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of part.file) {
    size += (chunk as Buffer).length;
    // Keep reading (the parser needs the part consumed) but stop keeping.
    if (size <= SMALL_PART_MAX) chunks.push(chunk as Buffer);
  }
  if (size > SMALL_PART_MAX) throw new ReleaseUploadIncompleteError(`the ${what} part is larger than ${SMALL_PART_MAX} bytes`);
  return Buffer.concat(chunks);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

export function createReleaseUploads(opts: ReleaseUploadsOptions) {
  const { dir, publicKey, maxBytes, log } = opts;
  /** Versions being uploaded now: a second upload of one of them is a 409, not a race. */
  const busy = new Set<string>();

  /** Stream the tarball into a temp file, hashing as it goes. */
  async function receiveTarball(part: Extract<UploadPart, { type: 'file' }>, temp: string): Promise<{ sha256: string; size: number }> {
    const hash = createHash('sha256');
    let size = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    await pipeline(part.file, tap, createWriteStream(temp, { flags: 'wx', mode: 0o644 }));
    // The parser stops at the limit and discards the rest; a truncated tarball is never a release.
    if (part.file.truncated || size > maxBytes) throw new ReleaseTooLargeError(part.filename, maxBytes);
    return { sha256: hash.digest('hex'), size };
  }

  return {
    maxBytes,
    configured: publicKey !== undefined,

    /** Receive, verify and publish one release; the version, once it is in the catalog. */
    async upload(parts: AsyncIterable<UploadPart>): Promise<{ version: string; file: string; size: number; sha256: string }> {
      if (!publicKey) throw new ReleaseKeyNotConfiguredError();
      await mkdir(dir, { recursive: true });
      const temps: string[] = [];
      const tempFile = (what: string) => {
        const p = join(dir, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}.${what}`);
        temps.push(p);
        return p;
      };
      let claimed: string | null = null;
      try {
        let tarball: { file: string; temp: string; sha256: string; size: number } | null = null;
        let sha256Text: Buffer | null = null;
        let signature: Buffer | null = null;
        for await (const part of parts) {
          if (part.fieldname === UPLOAD_FIELDS.tarball) {
            if (part.type !== 'file') throw new ReleaseUploadIncompleteError('the tarball part must be a file');
            if (tarball) throw new ReleaseUploadIncompleteError('more than one tarball part');
            const file = part.filename;
            const version = versionOfTarball(file);
            if (version === null) throw new ReleaseUploadIncompleteError(`${JSON.stringify(file)} is not a release tarball name (outpost-<version>-linux-x64.tar.gz)`);
            // Before a byte is stored: an existing version is refused as early as it is known.
            if (busy.has(version) || (await exists(join(dir, file)))) throw new ReleaseExistsError(version);
            busy.add(version);
            claimed = version;
            const temp = tempFile('tar.gz');
            tarball = { file, temp, ...(await receiveTarball(part, temp)) };
          } else if (part.fieldname === UPLOAD_FIELDS.sha256) {
            if (sha256Text) throw new ReleaseUploadIncompleteError('more than one sha256 part');
            sha256Text = await readSmall(part, 'sha256');
          } else if (part.fieldname === UPLOAD_FIELDS.signature) {
            if (signature) throw new ReleaseUploadIncompleteError('more than one signature part');
            signature = await readSmall(part, 'signature');
          } else {
            throw new ReleaseUploadIncompleteError(`unknown part ${JSON.stringify(part.fieldname)} (expected tarball, sha256 and signature)`);
          }
        }
        const missing = [!tarball && 'tarball', !sha256Text && 'sha256', !signature && 'signature'].filter(Boolean);
        if (!tarball || !sha256Text || !signature) {
          throw new ReleaseUploadIncompleteError(`missing part${missing.length > 1 ? 's' : ''}: ${missing.join(', ')} (multipart fields tarball, sha256 and signature: the tarball, its .sha256 and its .sha256.sig)`);
        }
        const { version, sha256 } = verifyRelease({ file: tarball.file, tarballSha256: tarball.sha256, sha256Text, signature }, publicKey);
        const shaTemp = tempFile('sha256');
        const sigTemp = tempFile('sig');
        await writeFile(shaTemp, sha256Text, { flag: 'wx', mode: 0o644 });
        await writeFile(sigTemp, signature, { flag: 'wx', mode: 0o644 });
        await rename(shaTemp, join(dir, `${tarball.file}.sha256`));
        await rename(sigTemp, join(dir, `${tarball.file}.sha256.sig`));
        await rename(tarball.temp, join(dir, tarball.file));
        temps.length = 0;
        log.info({ version, size: tarball.size, sha256 }, `release ${version} uploaded and verified`);
        return { version, file: tarball.file, size: tarball.size, sha256 };
      } finally {
        if (claimed) busy.delete(claimed);
        await Promise.all(temps.map((p) => rm(p, { force: true }).catch(() => undefined)));
      }
    },

    /** Remove a release's files (the caller has checked that no rollout uses it). */
    async remove(version: string): Promise<void> {
      const file = tarballName(version);
      if (busy.has(version)) throw new ConflictError('release_uploading', `release ${version} is being uploaded now`);
      try {
        // The tarball first: from then on the catalog no longer lists the release.
        await unlink(join(dir, file));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ReleaseNotFoundError(version, file);
        throw err;
      }
      for (const extra of ['.sha256', '.sha256.sig', '.rollback.sig']) await rm(join(dir, `${file}${extra}`), { force: true });
      log.info({ version }, `release ${version} deleted`);
    },
  };
}

export type ReleaseUploads = ReturnType<typeof createReleaseUploads>;
