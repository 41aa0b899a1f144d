// Release files for the update server's tests, laid out as scripts/build-release.sh leaves them.
// The signature is arbitrary bytes: the fleet only checks that it exists (devices verify it).
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { tarballName } from './releases.js';

export interface FakeRelease {
  file: string;
  sha256: string;
  content: Buffer;
}

export function writeRelease(dir: string, version: string, opts: { content?: Buffer; signed?: boolean; sha256?: string } = {}): FakeRelease {
  mkdirSync(dir, { recursive: true });
  const file = tarballName(version);
  const content = opts.content ?? gzipSync(`outpost ${version}\n`);
  const sha256 = opts.sha256 ?? createHash('sha256').update(content).digest('hex');
  writeFileSync(join(dir, file), content);
  writeFileSync(join(dir, `${file}.sha256`), `${sha256}  ${file}\n`);
  if (opts.signed !== false) writeFileSync(join(dir, `${file}.sha256.sig`), Buffer.alloc(64, 7));
  return { file, sha256, content };
}
