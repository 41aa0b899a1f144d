// The update scripts' shared shell helpers (scripts/lib/update-common.sh), run by the real bash:
// the rules that keep root's update path from trusting what it reads.
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rootDir } from '../device/src/shared/index.js';
import { tempDir } from '../device/test/index.js';

const LIB = join(rootDir, 'scripts/lib/update-common.sh');

/** Runs `script` in bash after sourcing the library; returns stdout. */
function sh(script: string, env: Record<string, string> = {}): string {
  return execFileSync('bash', ['-c', `set -euo pipefail; . "$LIB"; ${script}`], { env: { PATH: process.env.PATH!, LIB, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('update-common.sh', () => {
  it('takes only plain semantic versions, so no version can become a path elsewhere', () => {
    for (const ok of ['1.0.0', '2.10.3', '2.0.0-rc.1', '1.0.0+build.5']) expect(sh(`valid_version '${ok}' && echo yes || echo no`).trim(), ok).toBe('yes');
    for (const bad of ['', '../../tmp', '1.0.0/../../x', '1.0', 'v1.0.0', '1.0.0-rc..1', '1.0.0 ', '1.0.0\n2.0.0', '/1.0.0']) {
      expect(sh('valid_version "$V" && echo yes || echo no', { V: bad }).trim(), JSON.stringify(bad)).toBe('no');
    }
  });

  it('orders versions for the downgrade rule', () => {
    expect(sh("version_lt 1.5.0 2.0.0 && echo lt || echo ge").trim()).toBe('lt');
    expect(sh("version_lt 2.10.0 2.9.0 && echo lt || echo ge").trim()).toBe('ge');
    expect(sh("version_lt 2.0.0 2.0.0 && echo lt || echo ge").trim()).toBe('ge');
  });

  it('writes env values that systemd, the shell and the reader all read back as written, and runs none of them', () => {
    const dir = tempDir('outpost-env-');
    try {
      const marker = join(dir.path, 'pwned');
      const nasty = `Lab "north" it's $(touch ${marker}) \`touch ${marker}\` back\\slash  two  spaces $HOME`;
      const file = join(dir.path, 'device.env');
      sh('{ env_line OUTPOST_DEVICE_NAME "$NASTY"; env_line OUTPOST_PORT 8081; } >"$FILE"', { NASTY: nasty, FILE: file });
      // Lines other tools may have left: a bare word, a single-quoted value, a key that is not ours.
      writeFileSync(file, `${sh('cat "$FILE"', { FILE: file })}OUTPOST_LABELS='a=$(x)'\nOUTPOST_BARE=plain  \nPATH=$(touch ${marker})\n`);
      const read = sh('PATH=/usr/bin:/bin; read_env_file "$FILE"; printf "%s\\n%s\\n%s\\n%s" "$OUTPOST_DEVICE_NAME" "$OUTPOST_PORT" "$OUTPOST_LABELS" "$OUTPOST_BARE"', { FILE: file });
      expect(read.split('\n')).toEqual([nasty, '8081', 'a=$(x)', 'plain']);
      // The shell reads the quoted lines back the same way (systemd's EnvironmentFile= rules match).
      const shell = execFileSync('bash', ['-c', `eval "$(grep '^OUTPOST_DEVICE_NAME=' "$FILE")"; printf %s "$OUTPOST_DEVICE_NAME"`], { env: { PATH: process.env.PATH!, FILE: file }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      expect(shell).toBe(nasty);
      expect(existsSync(marker)).toBe(false);
      expect(() => sh('env_line OUTPOST_X "$V"', { V: 'a\nOUTPOST_Y=b' })).toThrow(/newline/);
    } finally {
      dir.remove();
    }
  });
});
