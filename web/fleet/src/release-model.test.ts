import { describe, expect, it } from 'vitest';
import { pickReleaseFiles, usesLabel } from './release-model';

const f = (name: string) => ({ name });
const TAR = 'outpost-1.4.2-linux-x64.tar.gz';

describe('picking the files of a release upload', () => {
  it('tells the tarball, its .sha256 and its signature apart by name, in any order', () => {
    expect(pickReleaseFiles([f(`${TAR}.sha256.sig`), f(TAR), f(`${TAR}.sha256`)])).toEqual({
      ok: true,
      files: { tarball: f(TAR), sha256: f(`${TAR}.sha256`), signature: f(`${TAR}.sha256.sig`) },
    });
  });

  it('names what is missing, doubled or foreign', () => {
    expect(pickReleaseFiles([f(TAR)])).toEqual({ ok: false, error: expect.stringContaining('missing: its .sha256, its .sha256.sig') });
    expect(pickReleaseFiles([f(TAR), f('outpost-1.4.3-linux-x64.tar.gz'), f(`${TAR}.sha256`), f(`${TAR}.sha256.sig`)])).toEqual({ ok: false, error: expect.stringContaining('one release at a time') });
    expect(pickReleaseFiles([f(TAR), f(`${TAR}.sha256`), f(`${TAR}.sha256.sig`), f('notes.txt')])).toEqual({ ok: false, error: 'Not part of a release: notes.txt' });
  });
});

describe('what uses a release', () => {
  it('reads the channels of the rollouts that offer or keep it', () => {
    expect(usesLabel([{ channel: 'stable', role: 'current', state: 'active' }, { channel: 'beta', role: 'previous', state: 'halted' }])).toBe('stable (rollout, active), beta (previous)');
    expect(usesLabel([])).toBe('');
  });
});
