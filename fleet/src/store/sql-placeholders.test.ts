import { describe, expect, it } from 'vitest';
import { toPositional } from './sql-placeholders.js';

describe('SQL placeholders for PostgreSQL', () => {
  it('numbers named parameters in order of first use, reusing a name', () => {
    const q = toPositional('UPDATE silences SET starts_at=CASE WHEN starts_at < @at THEN starts_at ELSE @at END, ends_at=@at WHERE id=@id');
    expect(q.text).toBe('UPDATE silences SET starts_at=CASE WHEN starts_at < $1 THEN starts_at ELSE $1 END, ends_at=$1 WHERE id=$2');
    expect(q.values({ id: 7, at: 100, unused: 'ignored' })).toEqual([100, 7]);
  });

  it('numbers ? in order', () => {
    const q = toPositional('SELECT ts FROM snapshots WHERE device_id = ? AND ts >= ? ORDER BY ts LIMIT ?');
    expect(q.text).toBe('SELECT ts FROM snapshots WHERE device_id = $1 AND ts >= $2 ORDER BY ts LIMIT $3');
    expect(q.values(['kiosk-1', 0, 10])).toEqual(['kiosk-1', 0, 10]);
  });

  it('leaves ? and @ alone inside literals, quoted names and comments', () => {
    const q = toPositional(`SELECT 'what?', 'it''s @me', "odd?name" -- why? @no\nFROM t WHERE a = ?`);
    expect(q.text).toBe(`SELECT 'what?', 'it''s @me', "odd?name" -- why? @no\nFROM t WHERE a = $1`);
  });

  it('refuses a missing name, a wrong count, and both kinds in one statement', () => {
    expect(() => toPositional('SELECT @a, @b').values({ a: 1 })).toThrow('missing named parameter "b"');
    expect(() => toPositional('SELECT ?, ?').values([1])).toThrow('takes 2 positional parameters');
    expect(() => toPositional('SELECT @a').values([1])).toThrow('takes named parameters');
    expect(() => toPositional('SELECT @a, ?')).toThrow('mixes ? and @name');
  });
});
