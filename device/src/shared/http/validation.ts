// Request validation for both services. Bodies are strict: no type coercion and no silently
// dropped unknown fields, so `{"width":"wide"}` or `{"colour":1}` is a 400 that names the field.
// Params and querystrings arrive as text, so they are coerced (`?lines=50` → 50) but still strict
// about unknown keys.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify';

// ajv-formats ships CommonJS with a default export; under NodeNext it arrives wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

function makeAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({
    allErrors: false,
    coerceTypes: coerce ? 'array' : false,
    useDefaults: true,
    removeAdditional: false,
    strict: false,
  });
  addFormats(ajv);
  return ajv;
}

const strictAjv = makeAjv(false);
const coercingAjv = makeAjv(true);
const cache = new WeakMap<object, ValidateFunction>();

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? strictAjv : coercingAjv;
  const key = schema as object;
  let fn = httpPart === 'body' ? cache.get(key) : undefined;
  if (!fn) {
    fn = ajv.compile(schema as object);
    if (httpPart === 'body') cache.set(key, fn);
  }
  const validate = fn;
  return (data: unknown) => {
    if (validate(data)) return { value: data };
    return { error: Object.assign(new Error('validation failed'), { validation: validate.errors ?? [] }) };
  };
};

/** One readable sentence per validation error, naming the field: `body.width must be <= 7680`. */
export function describeValidation(errors: readonly (FastifySchemaValidationError | ErrorObject)[], context?: string): string {
  return errors
    .map((e) => {
      const where = [context ?? 'request', ...(e.instancePath ?? '').split('/').filter(Boolean)].join('.');
      const params = (e.params ?? {}) as Record<string, unknown>;
      switch (e.keyword) {
        case 'additionalProperties':
          return `${where} has an unknown field ${JSON.stringify(params.additionalProperty)}`;
        case 'propertyNames':
          return `${where} has an invalid key ${JSON.stringify(params.propertyName)}`;
        case 'required':
          return `${where} is missing the required field ${JSON.stringify(params.missingProperty)}`;
        case 'enum':
          return `${where} must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
        case 'const':
          return `${where} must be ${JSON.stringify(params.allowedValue)}`;
        default:
          return `${where} ${e.message ?? 'is invalid'}`;
      }
    })
    .join('; ');
}

const valueCache = new WeakMap<object, ValidateFunction>();

/** Checks a value that did not arrive as a request part (a field inside a body) strictly, like bodies: a sentence naming what is wrong, or null. */
export function checkValue(schema: object, value: unknown, context: string): string | null {
  let validate = valueCache.get(schema);
  if (!validate) valueCache.set(schema, (validate = strictAjv.compile(schema)));
  return validate(value) ? null : describeValidation(validate.errors ?? [], context);
}
