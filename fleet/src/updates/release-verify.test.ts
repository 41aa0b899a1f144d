// The checks an uploaded release passes before the monitor keeps it, on releases made the way
// scripts/build-release.sh makes them: `sha256sum <file> > <file>.sha256`, then
// `openssl pkeyutl -sign -rawin` over that file with an ed25519 key.
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../device/test/index.js';
import { loadFleetConfig } from '../config.js';
import { parseReleasePublicKey, verifyRelease } from './release-verify.js';

const dir = tempDir('outpost-release-verify-');
afterAll(() => dir.remove());

function keyPair(name: string): { privatePem: string; publicKey: KeyObject; publicPath: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const privatePem = join(dir.path, `${name}.pem`);
  const publicPath = join(dir.path, `${name}.pub`);
  writeFileSync(privatePem, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(publicPath, publicKey.export({ type: 'spki', format: 'pem' }));
  return { privatePem, publicKey: parseReleasePublicKey(readFileSync(publicPath)), publicPath };
}

/** A release as build-release.sh packs it (the same commands), signed with `key`. */
function release(version: string, key: string, content = `outpost ${version}\n`) {
  const file = `outpost-${version}-linux-x64.tar.gz`;
  writeFileSync(join(dir.path, file), content);
  execFileSync('sh', ['-c', `sha256sum "${file}" > "${file}.sha256"`], { cwd: dir.path });
  execFileSync('openssl', ['pkeyutl', '-sign', '-rawin', '-inkey', key, '-in', `${file}.sha256`, '-out', `${file}.sha256.sig`], { cwd: dir.path });
  return {
    file,
    tarballSha256: createHash('sha256').update(content).digest('hex'),
    sha256Text: readFileSync(join(dir.path, `${file}.sha256`)),
    signature: readFileSync(join(dir.path, `${file}.sha256.sig`)),
  };
}

const ours = keyPair('release-signing');
const theirs = keyPair('someone-else');

describe('verifying an uploaded release', () => {
  it('accepts a release signed with the release key and hashing to its signed line', () => {
    const r = release('2.0.0', ours.privatePem);
    expect(verifyRelease(r, ours.publicKey)).toEqual({ version: '2.0.0', sha256: r.tarballSha256 });
  });

  it('refuses a tarball that does not hash to its signed line (tampered or corrupted)', () => {
    const r = release('2.0.1', ours.privatePem);
    const tampered = createHash('sha256').update('outpost 2.0.1 with something added\n').digest('hex');
    expect(() => verifyRelease({ ...r, tarballSha256: tampered }, ours.publicKey)).toThrow(expect.objectContaining({ code: 'release_bad_checksum', statusCode: 422 }));
  });

  it('refuses a signature made with another key, a damaged one, and one of the wrong length', () => {
    const r = release('2.0.2', theirs.privatePem);
    expect(() => verifyRelease(r, ours.publicKey)).toThrow(/signature does not verify/);
    const good = release('2.0.3', ours.privatePem);
    const flipped = Buffer.from(good.signature);
    flipped[10] = flipped[10]! ^ 1;
    expect(() => verifyRelease({ ...good, signature: flipped }, ours.publicKey)).toThrow(expect.objectContaining({ code: 'release_bad_signature' }));
    expect(() => verifyRelease({ ...good, signature: good.signature.subarray(0, 20) }, ours.publicKey)).toThrow(expect.objectContaining({ code: 'release_bad_signature' }));
  });

  it('refuses a .sha256 changed after signing, even to the right hash', () => {
    const r = release('2.0.4', ours.privatePem);
    const other = createHash('sha256').update('other').digest('hex');
    expect(() => verifyRelease({ ...r, tarballSha256: other, sha256Text: Buffer.from(`${other}  ${r.file}\n`) }, ours.publicKey)).toThrow(expect.objectContaining({ code: 'release_bad_signature' }));
  });

  it('refuses a signed release renamed to another version, naming both names', () => {
    const r = release('2.1.0', ours.privatePem);
    expect(() => verifyRelease({ ...r, file: 'outpost-2.1.1-linux-x64.tar.gz' }, ours.publicKey)).toThrow(
      /signed \.sha256 is for "outpost-2\.1\.0-linux-x64\.tar\.gz", not "outpost-2\.1\.1-linux-x64\.tar\.gz"/,
    );
  });

  it('refuses a signed line that names the file with a path, or more than one line', () => {
    for (const text of [`${'a'.repeat(64)}  dist/outpost-2.2.0-linux-x64.tar.gz\n`, `${'a'.repeat(64)}  outpost-2.2.0-linux-x64.tar.gz\n${'b'.repeat(64)}  x\n`]) {
      writeFileSync(join(dir.path, 'line.sha256'), text);
      execFileSync('openssl', ['pkeyutl', '-sign', '-rawin', '-inkey', ours.privatePem, '-in', 'line.sha256', '-out', 'line.sig'], { cwd: dir.path });
      const upload = { file: 'outpost-2.2.0-linux-x64.tar.gz', tarballSha256: 'a'.repeat(64), sha256Text: Buffer.from(text), signature: readFileSync(join(dir.path, 'line.sig')) };
      expect(() => verifyRelease(upload, ours.publicKey), text).toThrow(expect.objectContaining({ statusCode: 422 }));
    }
  });

  it('refuses a tarball name that is not a release name', () => {
    const r = release('2.3.0', ours.privatePem);
    expect(() => verifyRelease({ ...r, file: 'outpost-latest.tar.gz' }, ours.publicKey)).toThrow(expect.objectContaining({ code: 'release_bad_name' }));
  });

  it('accepts the signature openssl makes and the monitor checks with node:crypto alike (the device check passes too)', () => {
    const r = release('2.4.0', ours.privatePem);
    writeFileSync(join(dir.path, 'r.sig'), r.signature);
    execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', ours.publicPath, '-rawin', '-in', `${r.file}.sha256`, '-sigfile', 'r.sig'], { cwd: dir.path });
    expect(verifyRelease(r, ours.publicKey).version).toBe('2.4.0');
  });
});

describe('the release key at boot (OUTPOST_FLEET_RELEASE_PUBKEY)', () => {
  it('loads an ed25519 public key and leaves uploads off without one', () => {
    expect(loadFleetConfig({ OUTPOST_FLEET_RELEASE_PUBKEY: ours.publicPath }).updates.releasePublicKey?.asymmetricKeyType).toBe('ed25519');
    expect(loadFleetConfig({}).updates.releasePublicKey).toBeUndefined();
  });

  it('fails naming the variable when the file is missing, not a key, or not ed25519', () => {
    const rsa = join(dir.path, 'rsa.pub');
    writeFileSync(rsa, generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }));
    const junk = join(dir.path, 'junk.pub');
    writeFileSync(junk, 'not a key\n');
    expect(() => loadFleetConfig({ OUTPOST_FLEET_RELEASE_PUBKEY: join(dir.path, 'missing.pub') })).toThrow(/^OUTPOST_FLEET_RELEASE_PUBKEY: expected a readable PEM file \(ENOENT\)/);
    expect(() => loadFleetConfig({ OUTPOST_FLEET_RELEASE_PUBKEY: junk })).toThrow(/^OUTPOST_FLEET_RELEASE_PUBKEY: expected the ed25519 release public key.*not a PEM public key/);
    expect(() => loadFleetConfig({ OUTPOST_FLEET_RELEASE_PUBKEY: rsa })).toThrow(/^OUTPOST_FLEET_RELEASE_PUBKEY: .*this one is rsa/);
  });

  it('takes the upload size limit in MB, 500 by default, and refuses a bad one naming the variable', () => {
    expect(loadFleetConfig({}).updates.releaseMaxBytes).toBe(500 * 1024 * 1024);
    expect(loadFleetConfig({ OUTPOST_FLEET_RELEASE_MAX_MB: '2' }).updates.releaseMaxBytes).toBe(2 * 1024 * 1024);
    expect(() => loadFleetConfig({ OUTPOST_FLEET_RELEASE_MAX_MB: '0' })).toThrow(/^OUTPOST_FLEET_RELEASE_MAX_MB: /);
    expect(() => loadFleetConfig({ OUTPOST_FLEET_RELEASE_MAX_MB: 'lots' })).toThrow(/^OUTPOST_FLEET_RELEASE_MAX_MB: /);
  });
});
