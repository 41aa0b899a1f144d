// Recording status, end reasons, log levels and artifact paths as both UIs show them (artifact-model.ts).
import { describe, expect, it } from 'vitest';
import { artifactPaths, endReasonLabel, logTone, recordingSummary } from './artifact-model';

describe('artifact model', () => {
  it('says how a recording goes, how big it is, and why it failed', () => {
    expect(recordingSummary({ status: 'recording', error: null, size_bytes: 1536 })).toEqual({ label: 'recording · 1.5 KiB', tone: 'info', detail: null });
    expect(recordingSummary({ status: 'finished', error: null, size_bytes: 0 })).toEqual({ label: 'finished · 0 B', tone: 'ok', detail: null });
    expect(recordingSummary({ status: 'failed', error: 'No space left on device', size_bytes: 10 })).toMatchObject({ tone: 'bad', detail: 'No space left on device' });
  });

  it('puts end reasons in words, and shows one it does not know as sent', () => {
    expect(endReasonLabel('deleted')).toBe('ended by a client');
    expect(endReasonLabel('appliance_stopped')).toBe('appliance stopped');
    expect(endReasonLabel('moon_phase')).toBe('moon_phase');
    expect(endReasonLabel(null)).toBe('—');
  });

  it('tones log levels of the console, the browser and the lifecycle', () => {
    expect(['error', 'SEVERE', 'warning', 'warn', 'info', 'log', 'debug'].map(logTone)).toEqual(['bad', 'bad', 'warn', 'warn', 'info', 'info', 'muted']);
  });

  it('builds the artifact paths under a session path, the file name encoded', () => {
    const p = artifactPaths('/api/sessions/kiosk-1/abc');
    expect([p.recording, p.downloads, p.logs, p.download('q3 report/..#.bin')]).toEqual([
      '/api/sessions/kiosk-1/abc/recording',
      '/api/sessions/kiosk-1/abc/downloads',
      '/api/sessions/kiosk-1/abc/logs',
      '/api/sessions/kiosk-1/abc/downloads/q3%20report%2F..%23.bin',
    ]);
  });
});
