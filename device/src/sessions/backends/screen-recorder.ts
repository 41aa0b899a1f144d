// A session's screen recording (issue 15, `record: true`): Debian's ffmpeg grabs the session's X
// display (x11grab, with the session's X authority cookie) and writes H.264 in a fragmented MP4.
// Fragmented, so the file plays while it grows: GET …/recording serves it during the session too,
// and a recording cut short (a crash, a full disk) keeps every fragment written before.
// A recording that fails is reported, never the session's end: the session goes on without it.
import { spawn, type ChildProcess } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { exitOf, killGroup, trackGroup, waitReady } from './child-processes.js';

export type RecordingStatus = 'recording' | 'finished' | 'failed';

export interface RecordingState {
  status: RecordingStatus;
  /** Why it failed (ffmpeg's last words), or null. */
  error: string | null;
}

export interface RecordingOptions {
  /** The X display to grab (":N") and the cookie file that lets a client in. */
  display: number;
  xauthority: string;
  /** The display's size. */
  width: number;
  height: number;
  fps: number;
  /** Scale down to fit this box (aspect kept); null keeps the display's size. */
  fit: { width: number; height: number } | null;
  out: string;
  env: NodeJS.ProcessEnv;
  /** Called once if the recording stops on its own (ffmpeg failed: disk full, display gone). */
  onFailed(error: string): void;
}

export interface Recording {
  readonly path: string;
  state(): RecordingState;
  /** Ends the recording cleanly (the last fragment is written). Idempotent. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 5000;

/** ffmpeg's arguments: input from the display, H.264 that browsers play, a keyframe every 2 s. */
export function ffmpegArgs(o: Pick<RecordingOptions, 'display' | 'width' | 'height' | 'fps' | 'fit' | 'out'>): string[] {
  const scale = o.fit
    ? `scale=${o.fit.width}:${o.fit.height}:force_original_aspect_ratio=decrease:force_divisible_by=2`
    : // yuv420p needs even sizes; an odd session size loses its last column or row.
      'scale=trunc(iw/2)*2:trunc(ih/2)*2';
  return [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    '-f',
    'x11grab',
    '-draw_mouse',
    '1',
    '-framerate',
    String(o.fps),
    '-video_size',
    `${o.width}x${o.height}`,
    '-i',
    `:${o.display}.0+0,0`,
    '-vf',
    scale,
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    // No lookahead and no B-frames: a third less memory, and each frame is written as it comes.
    '-tune',
    'zerolatency',
    '-crf',
    '30',
    '-pix_fmt',
    'yuv420p',
    '-g',
    String(o.fps * 2),
    // Fragments from the start: a reader sees a valid file at once, and more of it as it grows.
    '-movflags',
    '+frag_keyframe+empty_moov+default_base_moof',
    // Each fragment reaches the file when it is done, not when an I/O buffer fills.
    '-flush_packets',
    '1',
    '-f',
    'mp4',
    '-y',
    o.out,
  ];
}

/** Starts ffmpeg and waits until it writes; a recorder that cannot start is a failed recording. */
export async function startRecording(o: RecordingOptions): Promise<Recording> {
  let out = '';
  let failure: string | null = null;
  let stopping = false;
  let child: ChildProcess | null = null;
  const lastWords = () => out.trim().split('\n').filter(Boolean).slice(-1)[0] ?? 'ffmpeg stopped';
  try {
    child = trackGroup(spawn('ffmpeg', ffmpegArgs(o), { env: { ...o.env, XAUTHORITY: o.xauthority }, detached: true, stdio: ['ignore', 'ignore', 'pipe'] }));
  } catch (err) {
    failure = (err as Error).message;
  }
  const proc = child;
  proc?.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  proc?.once('error', (err) => (out += `\n${String(err)}`));
  const exited = proc ? exitOf(proc) : Promise.resolve('never started');
  if (proc) {
    try {
      await waitReady(proc, 'ffmpeg', async () => ((await stat(o.out).catch(() => null))?.size ?? 0) > 0, READY_TIMEOUT_MS, () => out);
    } catch (err) {
      failure = (err as Error).message;
      killGroup(proc);
    }
    void exited.then(() => {
      if (stopping || failure) return;
      failure = lastWords();
      o.onFailed(failure);
    });
  }
  let stopped: Promise<void> | null = null;
  return {
    path: o.out,
    state: () => ({ status: failure ? 'failed' : stopping ? 'finished' : 'recording', error: failure }),
    stop() {
      stopped ??= (async () => {
        if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
        stopping = true;
        // SIGINT: ffmpeg ends the last fragment and exits.
        killGroup(proc, 'SIGINT');
        const timer = setTimeout(() => killGroup(proc, 'SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      })();
      return stopped;
    },
  };
}
