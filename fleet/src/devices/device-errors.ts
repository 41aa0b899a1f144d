// What a proxied call to a device can go wrong with, as the API answers it (both 502: the monitor
// is a gateway to the device). Polls never throw these: a failed poll is a value (PollResult).
import { AppError } from '../../../device/src/shared/index.js';

/** No answer: refused, reset, timed out, or more than the size limit. */
export class DeviceUnreachableError extends AppError {
  constructor(deviceId: string, reason: string) {
    super('device_unreachable', `device ${deviceId} did not answer: ${reason}`, 502);
  }
}

/** An answer the monitor cannot pass on: not JSON. */
export class DeviceBadAnswerError extends AppError {
  constructor(deviceId: string, status: number) {
    super('bad_gateway', `device ${deviceId} answered with something that is not JSON (status ${status})`, 502);
  }
}
