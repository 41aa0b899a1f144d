import { describe, expect, it } from 'vitest';
import { demuxDockerLogs } from './payload-service.js';

function frame(stream: 1 | 2, text: string): Buffer {
  const body = Buffer.from(text);
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
}

describe('docker log demultiplexing', () => {
  it('splits stdout and stderr frames into timestamped lines', () => {
    const buf = Buffer.concat([
      frame(1, '2026-11-22T10:00:00.123456789Z started\n'),
      frame(2, '2026-11-22T10:00:01.000000000Z warning: low disk\n2026-11-22T10:00:02.000000000Z again\n'),
    ]);
    expect(demuxDockerLogs(buf, false)).toEqual([
      { stream: 'stdout', time: '2026-11-22T10:00:00.123Z', text: 'started' },
      { stream: 'stderr', time: '2026-11-22T10:00:01.000Z', text: 'warning: low disk' },
      { stream: 'stderr', time: '2026-11-22T10:00:02.000Z', text: 'again' },
    ]);
  });

  it('reads raw text from a TTY container', () => {
    expect(demuxDockerLogs(Buffer.from('plain line\r\nsecond\n'), true)).toEqual([
      { stream: 'stdout', time: null, text: 'plain line' },
      { stream: 'stdout', time: null, text: 'second' },
    ]);
  });

  it('survives a truncated frame', () => {
    const buf = frame(1, 'whole\n');
    expect(demuxDockerLogs(Buffer.concat([buf, buf.subarray(0, 5)]), false)).toEqual([{ stream: 'stdout', time: null, text: 'whole' }]);
  });
});
