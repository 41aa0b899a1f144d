// The update server's domain errors. They extend the shared AppError, so the one error handler
// maps them (status code from the class) to { error: { code, message } }.
import { AppError, ConflictError } from '../../../device/src/shared/index.js';

export class UnknownChannelError extends AppError {
  constructor(channel: string, channels: readonly string[]) {
    super('channel_not_found', `no update channel ${JSON.stringify(channel)} (configured: ${channels.join(', ')}; see OUTPOST_FLEET_CHANNELS)`, 404);
  }
}

export class ReleaseNotFoundError extends AppError {
  // The releases directory is not named: error bodies never carry server paths.
  constructor(version: string, file: string) {
    super('release_not_found', `no release ${version}: ${file} has not been published`, 404);
  }
}

/** A device credential used for another device's manifest or report. */
export class NotThisDeviceError extends AppError {
  constructor(credentialOf: string, claimed: string) {
    super('device_mismatch', `the credential of ${JSON.stringify(credentialOf)} cannot act for ${JSON.stringify(claimed)}`, 403);
  }
}

/** A device credential (still valid) of a device the inventory no longer lists. */
export class UnknownDeviceError extends AppError {
  constructor(id: string) {
    super('unknown_device', `device ${JSON.stringify(id)} is not in the fleet's inventory`, 403);
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

export class DeployNotFoundError extends AppError {
  constructor(id: number) {
    super('deploy_not_found', `no deploy ${id} in the history`, 404);
  }
}

export class DeployEndedError extends ConflictError {
  constructor(id: number) {
    super('deploy_ended', `deploy ${id} has already ended; start a new one with POST /api/deploys`);
    }
  }

/** An uploaded release that does not verify (bad signature, checksum or name). Nothing of it is kept. */
export class ReleaseRejectedError extends AppError {
  constructor(code: string, message: string) {
    super(code, message, 422);
  }
}

/** A part of an upload missing, doubled or unknown. */
export class ReleaseUploadIncompleteError extends AppError {
  constructor(message: string) {
    super('release_upload_incomplete', message, 400);
  }
}

export class ReleaseTooLargeError extends AppError {
  constructor(file: string, maxBytes: number) {
    super('release_too_large', `${file} is larger than ${Math.round(maxBytes / 1024 / 1024)} MB (OUTPOST_FLEET_RELEASE_MAX_MB)`, 413);
  }
}

export class ReleaseExistsError extends ConflictError {
  constructor(version: string) {
    super('release_exists', `release ${version} is already on the monitor; delete it first to replace it`);
  }
}

export class ReleaseKeyNotConfiguredError extends ConflictError {
  constructor() {
    super('release_key_not_configured', 'the monitor has no release public key to verify uploads with: set OUTPOST_FLEET_RELEASE_PUBKEY to the PEM of release-signing.pub');
  }
}

export class ReleaseInUseError extends ConflictError {
  constructor(version: string, channel: string, role: 'current' | 'previous') {
    super('release_in_use', `release ${version} is the ${role === 'current' ? 'version' : 'previous version'} of the rollout on channel ${JSON.stringify(channel)}; it cannot be deleted`);
  }
}
