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

  it('reads update windows: ranges in local time, across midnight, several at once, and the next start', () => {
    const at = (hhmm: string) => String(Date.UTC(2026, 10, 28, Number(hhmm.slice(0, 2)), Number(hhmm.slice(3))) / 1000);
    const inside = (spec: string, hhmm: string, tz = 'UTC') => sh('in_window "$SPEC" "$AT" && echo in || echo out', { SPEC: spec, AT: at(hhmm), TZ: tz }).trim();
    expect(inside('01:00-05:00', '03:30')).toBe('in');
    expect(inside('01:00-05:00', '05:00')).toBe('out');
    expect(inside('01:00-05:00', '00:59')).toBe('out');
    expect(inside('22:00-04:00', '23:15')).toBe('in');
    expect(inside('22:00-04:00', '03:59')).toBe('in');
    expect(inside('22:00-04:00', '12:00')).toBe('out');
    expect(inside('01:00-02:00, 13:00-14:00', '13:30')).toBe('in');
    expect(inside('00:00-00:00', '17:42')).toBe('in');
    // The device's local time: 03:30 UTC is 04:30 in Berlin in November.
    expect(inside('04:00-05:00', '03:30', 'Europe/Berlin')).toBe('in');

    const next = (spec: string, hhmm: string) => sh('next_window_start "$SPEC" "$AT"', { SPEC: spec, AT: at(hhmm), TZ: 'UTC' }).trim();
    expect(next('01:00-05:00', '12:00')).toBe('2026-11-29T01:00:00Z');
    expect(next('01:00-05:00', '00:30')).toBe('2026-11-28T01:00:00Z');
    expect(next('01:00-02:00,13:00-14:00', '03:00')).toBe('2026-11-28T13:00:00Z');

    for (const ok of ['01:00-05:00', '22:00-04:00', '01:00-02:00,13:00-14:00', '01:00-02:00, 13:00-14:00']) expect(sh('valid_window "$W" && echo yes || echo no', { W: ok }).trim(), ok).toBe('yes');
    for (const bad of ['', '1:00-5:00', '24:00-01:00', '01:00', '01:00-05:00,', ',01:00-05:00', 'night', '01:00-05:00;rm -rf /']) {
      expect(sh('valid_window "$W" && echo yes || echo no', { W: bad }).trim(), JSON.stringify(bad)).toBe('no');
    }
  });
});
