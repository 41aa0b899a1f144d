import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIT_MAGIC_COOKIE, writeXAuthority, xauthorityRecord } from './x-authority.js';

/** libXau's reading of one record: family, then four length-prefixed fields. */
function parse(buf: Buffer) {
  let at = 2;
  const next = () => {
    const len = buf.readUInt16BE(at);
    const data = buf.subarray(at + 2, at + 2 + len);
    at += 2 + len;
    return data;
  };
  const record = { family: buf.readUInt16BE(0), address: next(), number: next().toString(), name: next().toString(), data: next() };
  return { ...record, rest: buf.length - at };
}

describe('X authority', () => {
  it('writes one wildcard MIT-MAGIC-COOKIE-1 record for the display', () => {
    const cookie = Buffer.alloc(16, 0xab);
    expect(parse(xauthorityRecord(104, cookie))).toEqual({ family: 0xffff, address: Buffer.alloc(0), number: '104', name: MIT_MAGIC_COOKIE, data: cookie, rest: 0 });
  });

  it('makes a fresh random cookie per file, readable by its owner only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outpost-xauth-unit-'));
    try {
      const a = await writeXAuthority(join(dir, 'a'), 100);
      const b = await writeXAuthority(join(dir, 'b'), 100);
      expect(a).toHaveLength(16);
      expect(a.equals(b)).toBe(false);
      expect(parse(readFileSync(join(dir, 'a'))).data.equals(a)).toBe(true);
      expect(statSync(join(dir, 'a')).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
