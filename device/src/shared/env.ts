// Typed readers for environment variables, shared by the device and fleet config modules.
// Each reader validates one variable against a TypeBox schema and throws a ConfigError that
// names the variable, what it expected and what it got. Nothing falls back silently.
import Type, { type TSchema } from 'typebox';
import Value from 'typebox/value';

export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly expected: string,
    readonly got: string | undefined,
  ) {
    super(`${variable}: expected ${expected}, got ${got === undefined ? 'nothing' : JSON.stringify(got)}`);
    this.name = 'ConfigError';
  }
}

function raw(env: Env, name: string): string | undefined {
  const value = env[name];
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function checked<T>(name: string, schema: TSchema, expected: string, text: string, value: unknown): T {
  if (!Value.Check(schema, value)) throw new ConfigError(name, expected, text);
  return value as T;
}

export function envString(env: Env, name: string, fallback: string, opts: { pattern?: string; expected?: string } = {}): string {
  const text = raw(env, name);
  if (text === undefined) return fallback;
  const schema = Type.String(opts.pattern ? { pattern: opts.pattern } : {});
  return checked<string>(name, schema, opts.expected ?? 'a string', text, text);
}

export function envOptionalString(env: Env, name: string, opts: { minLength?: number; pattern?: string; expected?: string } = {}): string | undefined {
  const text = raw(env, name);
  if (text === undefined) return undefined;
  const schema = Type.String({ minLength: opts.minLength ?? 1, ...(opts.pattern ? { pattern: opts.pattern } : {}) });
  return checked<string>(name, schema, opts.expected ?? `a string of at least ${opts.minLength ?? 1} characters`, text, text);
}

export function envInt(env: Env, name: string, fallback: number, min: number, max: number): number {
  const text = raw(env, name);
  if (text === undefined) return fallback;
  const expected = `an integer from ${min} to ${max}`;
  if (!/^-?\d+$/.test(text)) throw new ConfigError(name, expected, text);
  return checked<number>(name, Type.Integer({ minimum: min, maximum: max }), expected, text, Number(text));
}

export function envNumber(env: Env, name: string, fallback: number, min: number, max: number): number {
  const text = raw(env, name);
  if (text === undefined) return fallback;
  const expected = `a number from ${min} to ${max}`;
  if (!/^-?\d+(\.\d+)?$/.test(text)) throw new ConfigError(name, expected, text);
  return checked<number>(name, Type.Number({ minimum: min, maximum: max }), expected, text, Number(text));
}

export function envBool(env: Env, name: string, fallback: boolean): boolean {
  const text = raw(env, name);
  if (text === undefined) return fallback;
  const lower = text.toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(lower)) return true;
  if (['0', 'false', 'no', 'off'].includes(lower)) return false;
  throw new ConfigError(name, 'a boolean (true/false, 1/0, yes/no, on/off)', text);
}

export function envEnum<const T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
  const text = raw(env, name);
  if (text === undefined) return fallback;
  const schema = Type.Union(values.map((v) => Type.Literal(v)));
  return checked<T>(name, schema, `one of ${values.join(', ')}`, text, text);
}

/** `k=v,k=v` → record. Keys are label-like; values may be empty. */
export function envLabels(env: Env, name: string): Record<string, string> {
  const text = raw(env, name);
  const labels: Record<string, string> = {};
  if (text === undefined) return labels;
  for (const part of text.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    const key = eq === -1 ? item : item.slice(0, eq).trim();
    const value = eq === -1 ? '' : item.slice(eq + 1).trim();
    if (!/^[A-Za-z0-9][A-Za-z0-9_.\-/]{0,62}$/.test(key)) {
      throw new ConfigError(name, 'comma-separated key=value pairs with keys of letters, digits, _ . - /', text);
    }
    labels[key] = value;
  }
  return labels;
}

/** A host/IP to listen on. */
export function envListenHost(env: Env, name: string, fallback: string): string {
  return envString(env, name, fallback, {
    pattern: '^[A-Za-z0-9.:\\-\\[\\]]+$',
    expected: 'a hostname or IP address to listen on',
  });
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** A bearer token: 16+ printable characters, no spaces (env variables and token files alike). */
export const TOKEN_RULE = { minLength: 16, pattern: '^[\\x21-\\x7e]+$', expected: 'a token of at least 16 printable characters without spaces' } as const;

export function envToken(env: Env, name: string): string | undefined {
  return envOptionalString(env, name, TOKEN_RULE);
}

/** The listen address and its token: off loopback, a token is required (DESIGN.md, "Security"). */
export function envListenWithToken(env: Env, hostVar: string, tokenVar: string): { host: string; token: string | undefined } {
  const host = envListenHost(env, hostVar, '127.0.0.1');
  const token = envToken(env, tokenVar);
  if (!isLoopbackHost(host) && token === undefined) {
    throw new ConfigError(tokenVar, `a token because ${hostVar}=${host} is not a loopback address (the API would be open to the network)`, undefined);
  }
  return { host, token };
}
