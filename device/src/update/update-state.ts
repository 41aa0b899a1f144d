// What scripts/update.sh last did, as it records it in ${OUTPOST_DATA_DIR}/update-state.json.
// The appliance only reads the file (re-read when it changes) and reports it as appliance.update.
import { readFile, stat } from 'node:fs/promises';
import type { Log as Logger } from '../shared/log.js';
import Value from 'typebox/value';
import { UpdateResult, type UpdateStatus } from '../shared/contract.js';

export interface UpdateStateReader {
  current(): UpdateStatus;
  refresh(): Promise<void>;
}

function isoOrNull(v: unknown): string | null {
  if (typeof v !== 'string' || v === '') return null;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

export function parseUpdateState(text: string, channel: string): UpdateStatus {
  const data = JSON.parse(text) as Record<string, unknown>;
  const result = Value.Check(UpdateResult, data.last_result) ? (data.last_result as UpdateStatus['last_result']) : null;
  return {
    channel: typeof data.channel === 'string' && data.channel !== '' ? data.channel : channel,
    last_check: isoOrNull(data.last_check),
    last_result: result,
    previous_version: typeof data.previous_version === 'string' && data.previous_version !== '' ? data.previous_version : null,
    window: typeof data.window === 'string' && data.window !== '' ? data.window : null,
    next_window: typeof data.window === 'string' && data.window !== '' ? isoOrNull(data.next_window) : null,
  };
}

export function createUpdateStateReader(opts: { file: string; channel: string; log: Logger }): UpdateStateReader {
  const empty: UpdateStatus = { channel: opts.channel, last_check: null, last_result: null, previous_version: null, window: null, next_window: null };
  let current = empty;
  let lastMtime = -1;
  return {
    current: () => current,
    async refresh() {
      try {
        const st = await stat(opts.file);
        if (st.mtimeMs === lastMtime) return;
        lastMtime = st.mtimeMs;
        current = parseUpdateState(await readFile(opts.file, 'utf8'), opts.channel);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          current = empty;
          lastMtime = -1;
          return;
        }
        opts.log.warn({ err, file: opts.file }, 'cannot read the update state');
      }
    },
  };
}
