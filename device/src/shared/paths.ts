// Where the release root is. Both the source tree (device/src/*.ts run by vitest) and the compiled
// tree (dist/device/src/*.js, and a release unpacked under /opt/outpost/releases/<v>) have VERSION
// a few levels up; walking up keeps one rule for all three.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'VERSION')) && existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the Outpost root (VERSION and package.json) above ${start}`);
    dir = parent;
  }
}

export const rootDir = findRoot(dirname(fileURLToPath(import.meta.url)));

export function readVersion(root = rootDir): string {
  return readFileSync(join(root, 'VERSION'), 'utf8').trim();
}

/** Built web apps live in dist/web/<app> (see web/vite.config.ts). */
export function webDir(app: 'device' | 'fleet', root = rootDir): string {
  return join(root, 'dist', 'web', app);
}
