// Persistent profiles (`profile` on create): user-data directories kept under
// ${OUTPOST_DATA_DIR}/profiles/<name>, so cookies, storage and logins outlive a session and a
// restart. Listed with their size and the session using one, exported as a tar, deleted. A profile
// in use by a live session is neither exported (its browser is writing it) nor deleted: 409.
import { spawn } from 'node:child_process';
import { lstat, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ErrorBody } from '../shared/contract.js';
import { NotFoundError, ProfileInUseError } from '../shared/errors.js';
import { PROFILE_NAME_PATTERN, ProfileDeleted, ProfileList } from '../shared/session-schemas.js';

const Params = Type.Object({ name: Type.String({ pattern: PROFILE_NAME_PATTERN }) }, { additionalProperties: false });
const PROFILE_NAME = new RegExp(PROFILE_NAME_PATTERN);
const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody };

/** Bytes under `dir`, symlinks not followed (a profile holds a few, to sockets and locks). */
async function sizeOf(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await sizeOf(p);
    else if (e.isFile()) total += (await lstat(p).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

const profileRoutes: FastifyPluginAsyncTypebox<{ dataDir: string }> = async (app, opts) => {
  const manager = app.sessionManager;
  const root = join(opts.dataDir, 'profiles');
  const holder = (name: string) => manager.list().find((s) => s.profile === name && s.status !== 'closed') ?? null;
  const existing = async (name: string) => {
    const info = await stat(join(root, name)).catch(() => null);
    if (!info?.isDirectory()) throw new NotFoundError(`no profile ${JSON.stringify(name)}`);
    return info;
  };

  app.get('/api/profiles', { schema: { response: { 200: ProfileList, 401: ErrorBody } } }, async () => {
    const names = (await readdir(root, { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory() && PROFILE_NAME.test(e.name));
    const profiles = await Promise.all(
      names.map(async (e) => {
        const info = await stat(join(root, e.name));
        return { name: e.name, size_bytes: await sizeOf(join(root, e.name)), modified_at: info.mtime.toISOString(), session: holder(e.name)?.id ?? null };
      }),
    );
    return { profiles: profiles.sort((a, b) => a.name.localeCompare(b.name)) };
  });

  app.get(
    '/api/profiles/:name/export',
    { schema: { params: Params, response: { 200: { description: 'The profile directory as a tar archive', type: 'string', contentMediaType: 'application/x-tar' }, ...errors } } },
    async (req, reply) => {
      const { name } = req.params;
      await existing(name);
      const live = holder(name);
      if (live) throw new ProfileInUseError(name, live.id);
      const tar = spawn('tar', ['-C', root, '-cf', '-', '--', name], { stdio: ['ignore', 'pipe', 'ignore'] });
      // The client leaving ends tar too.
      reply.raw.once('close', () => tar.kill('SIGKILL'));
      return reply.type('application/x-tar').header('content-disposition', `attachment; filename="outpost-profile-${name}.tar"`).send(tar.stdout as unknown as string);
    },
  );

  app.delete('/api/profiles/:name', { schema: { params: Params, response: { 200: ProfileDeleted, ...errors } } }, async (req) => {
    const { name } = req.params;
    await existing(name);
    const live = holder(name);
    if (live) throw new ProfileInUseError(name, live.id);
    await rm(join(root, name), { recursive: true, force: true });
    return { deleted: name };
  });
};

export default profileRoutes;
