// The one error the registry throws for a file it cannot use. The message always says where
// (file, line when known, host when it is about one host) and what is wrong, because it ends up
// as the reason the fleet monitor refuses to boot or keeps its previous device list.

export interface InventoryErrorLocation {
  file?: string | undefined;
  line?: number | undefined;
  host?: string | undefined;
}

export class InventoryError extends Error {
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly host: string | undefined;
  /** What is wrong, without the location prefix. */
  readonly reason: string;

  constructor(reason: string, where: InventoryErrorLocation = {}, options?: { cause?: unknown }) {
    super(formatInventoryMessage(reason, where), options);
    this.name = 'InventoryError';
    this.file = where.file;
    this.line = where.line;
    this.host = where.host;
    this.reason = reason;
  }
}

export function formatInventoryMessage(reason: string, where: InventoryErrorLocation): string {
  const place = `${where.file ?? 'inventory'}${where.line !== undefined ? `:${where.line}` : ''}`;
  const host = where.host !== undefined ? `host ${JSON.stringify(where.host)}: ` : '';
  return `${place}: ${host}${reason}`;
}
