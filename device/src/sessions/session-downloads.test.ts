import { describe, expect, it } from 'vitest';
import { freeName, safeFileName } from './session-downloads.js';

describe('download names', () => {
  it('keeps one path segment a shell and a URL take', () => {
    expect(safeFileName('report.pdf')).toBe('report.pdf');
    expect(safeFileName('../../etc/passwd')).toBe('passwd');
    expect(safeFileName('C:\\Users\\x\\evil.exe')).toBe('evil.exe');
    expect(safeFileName('.bashrc')).toBe('_bashrc');
    expect(safeFileName('a\nb\u0000c')).toBe('a_b_c');
    expect(safeFileName('')).toBe('download');
    expect(safeFileName('x'.repeat(300))).toHaveLength(200);
  });

  it('numbers a name that is taken', () => {
    expect(freeName('a.txt', new Set())).toBe('a.txt');
    expect(freeName('a.txt', new Set(['a.txt']))).toBe('a (2).txt');
    expect(freeName('a.txt', new Set(['a.txt', 'a (2).txt']))).toBe('a (3).txt');
    expect(freeName('README', new Set(['README']))).toBe('README (2)');
  });
});
