// The store's errors. Not HTTP errors: they stop the monitor at boot (main.ts prints the message).

/** The file was migrated by a newer release: running on it could misread or damage what that release wrote. */
export class StoreTooNewError extends Error {
  constructor(
    readonly file: string,
    readonly found: number,
    readonly known: number,
  ) {
    super(
      `OUTPOST_FLEET_DB: ${file} has schema version ${found}, but this monitor knows versions up to ${known}: ` +
        'a newer release of Outpost wrote it. Run that release, or point OUTPOST_FLEET_DB at another file.',
    );
    this.name = 'StoreTooNewError';
  }
}
