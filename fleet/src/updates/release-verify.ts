// What an uploaded release must prove before the monitor keeps it (DESIGN.md, "Update server"):
// the .sha256 file scripts/build-release.sh wrote is signed by the release key (ed25519 over the
// file's bytes, as `openssl pkeyutl -sign -rawin` makes it and scripts/update.sh checks it), its one
// line names exactly the uploaded tarball, and the tarball hashes to that line. The same checks a
// device makes, made before the first device asks.
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { ReleaseRejectedError } from './update-errors.js';
import { versionOfTarball } from './releases.js';

/** The release public key from PEM text; throws with what is wrong (not PEM, not ed25519). */
export function parseReleasePublicKey(pem: string | Buffer): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (err) {
    throw new Error(`not a PEM public key (${(err as Error).message})`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`an ed25519 key is expected, this one is ${key.asymmetricKeyType ?? 'unknown'}`);
  return key;
}

// sha256sum's line: hex, a space, then a space (text mode) or '*' (binary mode), then the name.
const LINE_RE = /^([0-9a-f]{64}) [ *](.+)$/;

export interface UploadedRelease {
  /** The tarball's name as uploaded: outpost-<version>-linux-x64.tar.gz. */
  file: string;
  /** sha256 of the bytes received. */
  tarballSha256: string;
  /** The .sha256 file, byte for byte (the signature covers these bytes). */
  sha256Text: Buffer;
  signature: Buffer;
}

/** The version of a verified release, or ReleaseRejectedError naming the first check that failed. */
export function verifyRelease(upload: UploadedRelease, publicKey: KeyObject): { version: string; sha256: string } {
  const version = versionOfTarball(upload.file);
  if (version === null) throw new ReleaseRejectedError('release_bad_name', `${JSON.stringify(upload.file)} is not a release tarball name (outpost-<version>-linux-x64.tar.gz)`);
  // The signature first: nothing the .sha256 says counts before it is known to be ours.
  let signed = false;
  try {
    signed = verify(null, upload.sha256Text, publicKey, upload.signature);
  } catch {
    signed = false; // a signature of the wrong length is just as bad
  }
  if (!signed) throw new ReleaseRejectedError('release_bad_signature', `the signature does not verify the .sha256 of ${upload.file} with the release key (OUTPOST_FLEET_RELEASE_PUBKEY)`);
  const lines = upload.sha256Text.toString('utf8').split('\n').filter((l) => l.trim() !== '');
  const m = lines.length === 1 ? LINE_RE.exec(lines[0]!.trimEnd()) : null;
  if (!m) throw new ReleaseRejectedError('release_bad_checksum_file', `the .sha256 of ${upload.file} is not one sha256sum line "<sha256>  <file>"`);
  const [, sha256, named] = m as unknown as [string, string, string];
  // Exactly this name: a signed 2.0.0 renamed to 2.0.1 must not pass as 2.0.1.
  if (named !== upload.file) {
    throw new ReleaseRejectedError('release_wrong_name', `the signed .sha256 is for ${JSON.stringify(named)}, not ${JSON.stringify(upload.file)} (version ${version}): renamed release?`);
  }
  if (upload.tarballSha256 !== sha256) {
    throw new ReleaseRejectedError('release_bad_checksum', `${upload.file} does not match its signed sha256 (got ${upload.tarballSha256}, signed ${sha256}): corrupted or tampered tarball`);
  }
  return { version, sha256 };
}
