// The release catalog (DESIGN.md, "Update server"): the files scripts/build-release.sh makes, as
// dropped into ${OUTPOST_FLEET_DATA_DIR}/releases/. A release is publishable when the tarball, its
// .sha256 (sha256sum format) and the ed25519 signature over that .sha256 are all there. Files put
// here by hand or by Ansible are served as they are (devices check the signature, with the public
// key they hold); uploads through the API are verified before they land (release-verify.ts).
import { createReadStream } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

export const VERSION_PATTERN = '^[0-9]+\\.[0-9]+\\.[0-9]+([-+][0-9A-Za-z.\\-]+)?$';
const VERSION_RE = new RegExp(VERSION_PATTERN);
/** Every name GET /releases/:file may serve; anything else (paths, dot files, backups) is a 404. */
// `.rollback.sig`: the operator's sign-off of a downgrade (scripts/build-release.sh approve-rollback).
const SERVABLE_RE = /^outpost-[0-9A-Za-z.+-]+-linux-x64\.tar\.gz(\.sha256(\.sig)?|\.rollback\.sig)?$/;
const TARBALL_RE = /^outpost-(.+)-linux-x64\.tar\.gz$/;
const SHA256_LINE_RE = /^([0-9a-fA-F]{64}) [ *](.+)$/;

export interface Release {
  version: string;
  file: string;
  size: number;
  /** From the .sha256 file; null when it is missing or does not name this tarball. */
  sha256: string | null;
  /** The .sha256 and its .sig are both there: the release may be rolled out. */
  signed: boolean;
  createdAt: number;
}

export function isVersion(v: string): boolean {
  return VERSION_RE.test(v);
}

export function tarballName(version: string): string {
  return `outpost-${version}-linux-x64.tar.gz`;
}

/** The version in a tarball's name, or null when the name is not a release tarball. */
export function versionOfTarball(file: string): string | null {
  const m = TARBALL_RE.exec(file);
  return m && isVersion(m[1]!) ? m[1]! : null;
}

export function isServableName(file: string): boolean {
  return SERVABLE_RE.test(file);
}

/** `<hex>  <file>` (sha256sum; ` *` in binary mode) → the lowercase hex, if the line names `file`. */
export function parseSha256File(text: string, file: string): string | null {
  const line = text.split('\n').find((l) => l.trim() !== '');
  const m = line ? SHA256_LINE_RE.exec(line.trim()) : null;
  if (!m) return null;
  const named = m[2]!.replace(/^\.\//, '');
  return named === file || named.endsWith(`/${file}`) ? m[1]!.toLowerCase() : null;
}

function prerelease(v: string): string | null {
  const m = /^[0-9.]+-([^+]+)/.exec(v);
  return m ? m[1]! : null;
}

/** Semver precedence (build metadata ignored, prerelease identifiers compared field by field). */
export function compareVersions(a: string, b: string): number {
  const core = (v: string) => v.split(/[-+]/)[0]!.split('.').map(Number);
  const [ca, cb] = [core(a), core(b)];
  for (let i = 0; i < 3; i++) if (ca[i] !== cb[i]) return (ca[i] ?? 0) - (cb[i] ?? 0);
  const [pa, pb] = [prerelease(a), prerelease(b)];
  if (pa === null || pb === null) return pa === pb ? 0 : pa === null ? 1 : -1;
  const [fa, fb] = [pa.split('.'), pb.split('.')];
  for (let i = 0; i < Math.max(fa.length, fb.length); i++) {
    const [x, y] = [fa[i], fb[i]];
    if (x === undefined || y === undefined) return x === undefined ? -1 : 1;
    if (x === y) continue;
    const [nx, ny] = [/^\d+$/.test(x), /^\d+$/.test(y)];
    if (nx && ny) return Number(x) - Number(y);
    if (nx !== ny) return nx ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export interface ReleaseCatalog {
  dir: string;
  /** Newest version first. `fresh` skips the cache (before a rollout is started). */
  list(opts?: { fresh?: boolean }): Promise<Release[]>;
  get(version: string, opts?: { fresh?: boolean }): Promise<Release | undefined>;
}

async function scan(dir: string): Promise<Release[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const present = new Set(names);
  const releases: Release[] = [];
  for (const file of names) {
    const version = versionOfTarball(file);
    if (!version) continue;
    let st;
    try {
      st = await stat(join(dir, file));
    } catch {
      continue; // removed while we looked
    }
    if (!st.isFile()) continue;
    let sha256: string | null = null;
    if (present.has(`${file}.sha256`)) {
      sha256 = await readFile(join(dir, `${file}.sha256`), 'utf8').then(
        (text) => parseSha256File(text, file),
        () => null,
      );
    }
    releases.push({ version, file, size: st.size, sha256, signed: sha256 !== null && present.has(`${file}.sha256.sig`), createdAt: st.mtimeMs });
  }
  return releases.sort((a, b) => compareVersions(b.version, a.version));
}

/**
 * Scans are cached on the directory's mtime, which changes when a file is added, removed or
 * renamed — so publish by writing elsewhere and renaming in (as build-release.sh's output is
 * copied), not by rewriting a file in place.
 */
export function createReleaseCatalog(dir: string): ReleaseCatalog {
  let cached: { mtimeMs: number; releases: Release[] } | null = null;
  let inflight: Promise<Release[]> | null = null;

  async function list(opts: { fresh?: boolean } = {}): Promise<Release[]> {
    let mtimeMs = -1;
    try {
      mtimeMs = (await stat(dir)).mtimeMs;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (!opts.fresh && cached && cached.mtimeMs === mtimeMs) return cached.releases;
    // Many devices ask at once after a cron tick: one scan serves them all.
    if (!opts.fresh && inflight) return inflight;
    const run = scan(dir).then((releases) => {
      cached = { mtimeMs, releases };
      return releases;
    });
    if (!opts.fresh) {
      inflight = run.finally(() => {
        inflight = null;
      });
      return inflight;
    }
    return run;
  }

  return {
    dir,
    list,
    async get(version, opts) {
      return (await list(opts)).find((r) => r.version === version);
    },
  };
}
