// The store's errors. Not HTTP errors: they stop the monitor at boot (main.ts prints the message).
// Messages name the store by its display form: a PostgreSQL URL without its password.

/** The store was migrated by a newer release: running on it could misread or damage what that release wrote. */
export class StoreTooNewError extends Error {
  constructor(
    readonly where: string,
    readonly found: number,
    readonly known: number,
    kind: 'sqlite' | 'postgres' = 'sqlite',
  ) {
    super(
      `OUTPOST_FLEET_DB: ${where} has schema version ${found}, but this monitor knows versions up to ${known}: ` +
        `a newer release of Outpost wrote it. Run that release, or point OUTPOST_FLEET_DB at another ${kind === 'sqlite' ? 'file' : 'database'}.`,
    );
    this.name = 'StoreTooNewError';
  }
}

/** The PostgreSQL server could not be reached or refused the monitor (wrong host, user, database, rights). */
export class StoreUnavailableError extends Error {
  constructor(
    readonly where: string,
    reason: string,
  ) {
    super(`OUTPOST_FLEET_DB: cannot open the store at ${where}: ${reason}`);
    this.name = 'StoreUnavailableError';
  }
}
