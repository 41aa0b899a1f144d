// The Releases page's logic: which chosen file is which part of an upload, and how a release's
// use reads.
import type { ReleaseUse } from './api';

export type PickedRelease<F> = { ok: true; files: { tarball: F; sha256: F; signature: F } } | { ok: false; error: string };

/**
 * The three files build-release.sh writes (<tarball>, <tarball>.sha256, <tarball>.sha256.sig),
 * told apart by name, from one multi-file pick. The server checks that they belong together.
 */
export function pickReleaseFiles<F extends { name: string }>(files: readonly F[]): PickedRelease<F> {
  const tarball = files.filter((f) => f.name.endsWith('.tar.gz'));
  const sha256 = files.filter((f) => f.name.endsWith('.sha256'));
  const signature = files.filter((f) => f.name.endsWith('.sha256.sig'));
  const missing = [tarball.length === 0 && 'the tarball (.tar.gz)', sha256.length === 0 && 'its .sha256', signature.length === 0 && 'its .sha256.sig'].filter(Boolean);
  if (missing.length > 0) return { ok: false, error: `Choose the three files build-release.sh wrote; missing: ${missing.join(', ')}` };
  if (tarball.length > 1 || sha256.length > 1 || signature.length > 1) return { ok: false, error: 'Choose one release at a time (one .tar.gz, its .sha256 and its .sha256.sig)' };
  const other = files.filter((f) => !tarball.includes(f) && !sha256.includes(f) && !signature.includes(f));
  if (other.length > 0) return { ok: false, error: `Not part of a release: ${other.map((f) => f.name).join(', ')}` };
  return { ok: true, files: { tarball: tarball[0]!, sha256: sha256[0]!, signature: signature[0]! } };
}

/** "stable (rollout), beta (previous)". */
export function usesLabel(uses: readonly ReleaseUse[]): string {
  return uses.map((u) => `${u.channel} (${u.role === 'current' ? `rollout, ${u.state}` : 'previous'})`).join(', ');
}
