// The saved file's name (download.ts): what the server's Content-Disposition says, never a path.
import { describe, expect, it } from 'vitest';
import { filenameFromDisposition } from './download';

describe('filenameFromDisposition', () => {
  it('takes the quoted or plain filename the server sends', () => {
    expect(filenameFromDisposition('attachment; filename="outpost-profile-p1.tar"', 'x.tar')).toBe('outpost-profile-p1.tar');
    expect(filenameFromDisposition('attachment; filename=outpost-profile-p1.tar', 'x.tar')).toBe('outpost-profile-p1.tar');
    expect(filenameFromDisposition('attachment; filename="a \\"b\\".tar"', 'x.tar')).toBe('a "b".tar');
  });

  it("prefers filename*=UTF-8'' and decodes it", () => {
    expect(filenameFromDisposition(`attachment; filename="plain.tar"; filename*=UTF-8''caf%C3%A9.tar`, 'x.tar')).toBe('café.tar');
    expect(filenameFromDisposition(`attachment; filename="plain.tar"; filename*=UTF-8''bad%E0%A4`, 'x.tar')).toBe('plain.tar');
  });

  it('keeps the last path segment only, and falls back when there is no usable name', () => {
    expect(filenameFromDisposition('attachment; filename="../../etc/passwd"', 'x.tar')).toBe('passwd');
    expect(filenameFromDisposition('attachment; filename="..\\\\evil.tar"', 'x.tar')).toBe('evil.tar');
    expect(filenameFromDisposition('attachment; filename=".."', 'x.tar')).toBe('x.tar');
    expect(filenameFromDisposition('attachment', 'x.tar')).toBe('x.tar');
    expect(filenameFromDisposition(null, 'x.tar')).toBe('x.tar');
  });
});
