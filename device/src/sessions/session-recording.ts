// `record: true` (issue 15): which sessions can be recorded, and starting a recording once the
// session is a client's. The backend owns the recorder process (backends/screen-recorder.ts: it
// ends with the session, before its display); the file goes with the session's artifacts.
import { BadRequestError } from '../shared/errors.js';
import type { CreateSessionBody } from '../shared/session-schemas.js';
import type { SessionBackend } from './backends/session-backend.js';
import type { Session } from './session-records.js';

export interface RecordingSettings {
  fps: number;
  /** Scale recordings down to fit (OUTPOST_RECORDING_SIZE), or null. */
  fit: { width: number; height: number } | null;
  /** The file a session's recording goes to; its directory is made. */
  pathFor(id: string): Promise<string>;
}

/** A 400 for a recording that cannot be: a headless session has no screen; the backend must record. */
export function checkRecordable(req: CreateSessionBody, headless: boolean, backend: Pick<SessionBackend, 'name' | 'screenRecording'>, settings: RecordingSettings | undefined): void {
  if (!req.record) return;
  if (headless) throw new BadRequestError('record: a headless session has no screen to record; ask for "vnc": true or "headless": false');
  if (!backend.screenRecording || !settings) throw new BadRequestError(`record: the ${backend.name} backend does not record sessions`);
}

/**
 * Starts the session's recording. One that cannot start is reported through `failed` and leaves
 * the session as it is: a recording never takes its session down.
 */
export async function recordSession(s: Session, settings: RecordingSettings, failed: (error: string) => void): Promise<void> {
  if (!s.browser?.recordScreen) {
    failed('the session has no display to record');
    return;
  }
  const out = await settings.pathFor(s.id);
  s.recording = await s.browser.recordScreen({ out, fps: settings.fps, fit: settings.fit, onFailed: failed });
  const state = s.recording.state();
  if (state.status === 'failed') failed(state.error ?? 'the recorder did not start');
}
