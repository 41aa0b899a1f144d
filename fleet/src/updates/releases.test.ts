import { rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../device/test/index.js';
import { compareVersions, createReleaseCatalog, isServableName, isVersion, parseSha256File, versionOfTarball } from './releases.js';
import { writeRelease } from './test-support.js';

describe('release file names', () => {
  it('reads the version out of a release tarball name', () => {
    expect(versionOfTarball('outpost-1.4.2-linux-x64.tar.gz')).toBe('1.4.2');
    expect(versionOfTarball('outpost-2.0.0-rc.1-linux-x64.tar.gz')).toBe('2.0.0-rc.1');
    expect(versionOfTarball('outpost-1.0.0+build.7-linux-x64.tar.gz')).toBe('1.0.0+build.7');
  });

  it('refuses names that are not a release tarball', () => {
    for (const name of ['outpost-1.4-linux-x64.tar.gz', 'outpost-1.4.2-linux-arm64.tar.gz', 'outpost-1.4.2-linux-x64.tar.gz.sha256', 'other-1.4.2-linux-x64.tar.gz', 'outpost-latest-linux-x64.tar.gz']) {
      expect(versionOfTarball(name), name).toBeNull();
    }
  });

  it('serves only release tarballs, checksums, signatures and rollback sign-offs, never a path', () => {
    for (const ok of ['outpost-1.4.2-linux-x64.tar.gz', 'outpost-1.4.2-linux-x64.tar.gz.sha256', 'outpost-1.4.2-linux-x64.tar.gz.sha256.sig', 'outpost-1.4.2-linux-x64.tar.gz.rollback.sig', 'outpost-2.0.0-rc.1-linux-x64.tar.gz']) {
      expect(isServableName(ok), ok).toBe(true);
    }
    for (const bad of [
      '../fleet.sqlite',
      'outpost-1.4.2-linux-x64.tar.gz/../../etc/passwd',
      '../outpost-1.4.2-linux-x64.tar.gz',
      'sub/outpost-1.4.2-linux-x64.tar.gz',
      'outpost-1.4.2-linux-x64.tar.gz.sig',
      'outpost-1.4.2-linux-x64.tar.gz.bak',
      '.outpost-1.4.2-linux-x64.tar.gz',
      'outpost-1.4.2-linux-x64.tar.gz\0',
      'outpost-1 4-linux-x64.tar.gz',
      'fleet.sqlite',
    ]) {
      expect(isServableName(bad), bad).toBe(false);
    }
  });

  it('accepts semver-like versions only', () => {
    expect(isVersion('1.2.3')).toBe(true);
    expect(isVersion('1.2.3-beta.1')).toBe(true);
    expect(isVersion('1.2')).toBe(false);
    expect(isVersion('v1.2.3')).toBe(false);
    expect(isVersion('1.2.3/../x')).toBe(false);
  });

  it('orders versions by semver precedence', () => {
    const sorted = ['1.10.0', '1.2.0', '2.0.0-rc.2', '2.0.0', '2.0.0-rc.10', '2.0.0-beta', '1.2.0+b1'].sort(compareVersions);
    expect(sorted).toEqual(['1.2.0', '1.2.0+b1', '1.10.0', '2.0.0-beta', '2.0.0-rc.2', '2.0.0-rc.10', '2.0.0']);
  });
});

describe('parseSha256File', () => {
  const hex = 'a'.repeat(64);
  it('reads sha256sum output for the named file', () => {
    expect(parseSha256File(`${hex}  outpost-1.0.0-linux-x64.tar.gz\n`, 'outpost-1.0.0-linux-x64.tar.gz')).toBe(hex);
    expect(parseSha256File(`${'B'.repeat(64)} *outpost-1.0.0-linux-x64.tar.gz\n`, 'outpost-1.0.0-linux-x64.tar.gz')).toBe('b'.repeat(64));
    expect(parseSha256File(`${hex}  dist/outpost-1.0.0-linux-x64.tar.gz\n`, 'outpost-1.0.0-linux-x64.tar.gz')).toBe(hex);
  });

  it('rejects a checksum of another file or a malformed line', () => {
    expect(parseSha256File(`${hex}  outpost-1.0.1-linux-x64.tar.gz\n`, 'outpost-1.0.0-linux-x64.tar.gz')).toBeNull();
    expect(parseSha256File(`${hex.slice(1)}  outpost-1.0.0-linux-x64.tar.gz\n`, 'outpost-1.0.0-linux-x64.tar.gz')).toBeNull();
    expect(parseSha256File('', 'outpost-1.0.0-linux-x64.tar.gz')).toBeNull();
  });
});

describe('release catalog', () => {
  const dirs: Array<{ remove: () => void }> = [];
  afterEach(() => dirs.splice(0).forEach((d) => d.remove()));
  const newDir = () => {
    const d = tempDir('outpost-releases-');
    dirs.push(d);
    return join(d.path, 'releases');
  };

  it('lists releases newest first with size, checksum and whether they are signed', async () => {
    const dir = newDir();
    const a = writeRelease(dir, '1.0.0');
    writeRelease(dir, '1.1.0', { signed: false });
    writeFileSync(join(dir, 'notes.txt'), 'not a release');
    const list = await createReleaseCatalog(dir).list();
    expect(list.map((r) => [r.version, r.signed])).toEqual([
      ['1.1.0', false],
      ['1.0.0', true],
    ]);
    expect(list[1]).toMatchObject({ file: a.file, size: a.content.length, sha256: a.sha256 });
  });

  it('is empty when the directory does not exist yet, and sees releases once it does', async () => {
    const dir = newDir();
    const catalog = createReleaseCatalog(dir);
    expect(await catalog.list()).toEqual([]);
    writeRelease(dir, '1.0.0');
    expect((await catalog.list()).map((r) => r.version)).toEqual(['1.0.0']);
  });

  it('rescans when the directory changes and serves the cache while it does not', async () => {
    const dir = newDir();
    const catalog = createReleaseCatalog(dir);
    writeRelease(dir, '1.0.0');
    const first = await catalog.list();
    expect(await catalog.list()).toBe(first);
    writeRelease(dir, '1.1.0');
    // Force a visibly different mtime even on coarse-grained file systems.
    utimesSync(dir, new Date(), new Date(Date.now() + 5000));
    expect((await catalog.list()).map((r) => r.version)).toEqual(['1.1.0', '1.0.0']);
    rmSync(join(dir, 'outpost-1.1.0-linux-x64.tar.gz.sha256.sig'));
    utimesSync(dir, new Date(), new Date(Date.now() + 10_000));
    expect((await catalog.get('1.1.0'))?.signed).toBe(false);
  });

  it('does not count a release as signed when its .sha256 names another file', async () => {
    const dir = newDir();
    const r = writeRelease(dir, '1.0.0');
    writeFileSync(join(dir, `${r.file}.sha256`), `${r.sha256}  outpost-9.9.9-linux-x64.tar.gz\n`);
    expect(await createReleaseCatalog(dir).get('1.0.0')).toMatchObject({ sha256: null, signed: false });
  });
});
