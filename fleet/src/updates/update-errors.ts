// The update server's domain errors. They extend the shared AppError, so the one error handler
// maps them (status code from the class) to { error: { code, message } }.
import { AppError, ConflictError } from '../../../device/src/errors.js';

export class UnknownChannelError extends AppError {
  constructor(channel: string, channels: readonly string[]) {
    super('channel_not_found', `no update channel ${JSON.stringify(channel)} (configured: ${channels.join(', ')}; see OUTPOST_FLEET_CHANNELS)`, 404);
  }
}

export class ReleaseNotFoundError extends AppError {
  constructor(version: string, file: string, dir: string) {
    super('release_not_found', `no release ${version}: ${file} is not in ${dir}`, 404);
  }
}

export class ReleaseNotSignedError extends ConflictError {
  constructor(version: string, missing: string) {
    super('release_not_signed', `release ${version} cannot be rolled out: ${missing}`);
  }
}

export class ReleaseChecksumMismatchError extends ConflictError {
  constructor(file: string) {
    super('release_checksum_mismatch', `${file} does not match its .sha256 (incomplete or replaced upload?)`);
  }
}

export class RolloutNotFoundError extends AppError {
  constructor(channel: string) {
    super('rollout_not_found', `channel ${JSON.stringify(channel)} has no rollout; start one with POST /api/rollouts/${channel}`, 404);
  }
}
