// The alert engine's domain errors; the global error handler answers with their status.
import { AppError } from '../../../device/src/shared/index.js';

/** A silence the API cannot take: bad matchers, no end, an end in the past. */
export class SilenceInputError extends AppError {
  constructor(message: string) {
    super('bad_silence', message, 400);
  }
}

export class SilenceNotFoundError extends AppError {
  constructor(readonly id: number) {
    super('silence_not_found', `no silence with id ${id}`, 404);
  }
}

/** Acknowledging needs an open alert: a resolved one has nothing left to remind about. */
export class AlertNotOpenError extends AppError {
  constructor(readonly key: string) {
    super('alert_not_open', `no open alert with key ${JSON.stringify(key)}`, 404);
  }
}
