import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { EARLIEST_DATE, isCalendarDate, latestDate } from '../domain/dates.js';

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const common: Options = {
  allErrors: true, // FastAPI lists every invalid field, not only the first
  verbose: true, // keeps the offending value, to tell "missing" from "wrong type"
  useDefaults: true,
  strict: false,
};

// JSON bodies keep their types, as in pydantic: `"score": "5"` and `"review": null` are errors,
// not silently turned into 5 and "". Query strings and path segments are text, so they are coerced.
const bodyAjv = addFormats(new Ajv({ ...common, coerceTypes: false }));
const textAjv = addFormats(new Ajv({ ...common, coerceTypes: 'array' }));

/**
 * Text no field may hold, in any part of any request: U+0000, which PostgreSQL cannot store in
 * `text` (it answered 500: "invalid byte sequence for encoding UTF8: 0x00") and SQLite would store
 * where PostgreSQL cannot, and a UTF-16 surrogate without its other half, which is not a character
 * and has no UTF-8 form. One rule for both databases, checked here, at the edge, for every field.
 */
// eslint-disable-next-line no-control-regex -- U+0000 is the very character this looks for
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** An Ajv-shaped error of the keyword `unstorableText`, which plugins/errors.ts words for FastAPI. */
function unstorable(instancePath: string): ErrorObject {
  return { keyword: 'unstorableText', instancePath, schemaPath: '#', params: {}, message: 'contains U+0000 or an unpaired surrogate' };
}

const pointer = (key: string | number): string => `/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;

/** Every string value (not key: unknown keys are ignored, never stored) that holds unstorable text. */
function unstorableStrings(data: unknown, path: string, out: ErrorObject[]): ErrorObject[] {
  if (typeof data === 'string') {
    if (UNSTORABLE.test(data)) out.push(unstorable(path));
  } else if (Array.isArray(data)) {
    data.forEach((item, i) => unstorableStrings(item, path + pointer(i), out));
  } else if (data !== null && typeof data === 'object') {
    for (const [key, item] of Object.entries(data)) unstorableStrings(item, path + pointer(key), out);
  }
  return out;
}

type PartSchema = { properties?: Record<string, { type?: string | string[]; format?: string }> };

/**
 * Fields of `format: date` (a day someone watched a film) hold a date from EARLIEST_DATE to
 * tomorrow. Checked here rather than by a schema keyword: "tomorrow" moves, a compiled schema does
 * not. Ajv's own format check reports a value that is not a date at all.
 */
function datesOutOfRange(schema: PartSchema, data: unknown): ErrorObject[] {
  if (data === null || typeof data !== 'object' || !schema.properties) return [];
  const out: ErrorObject[] = [];
  for (const [name, property] of Object.entries(schema.properties)) {
    const value = (data as Record<string, unknown>)[name];
    if (property.format !== 'date' || typeof value !== 'string' || !isCalendarDate(value)) continue;
    const le = latestDate();
    if (value < EARLIEST_DATE || value > le) {
      out.push({ keyword: 'dateRange', instancePath: pointer(name), schemaPath: '#', params: { ge: EARLIEST_DATE, le }, data: value, message: 'out of range' });
    }
  }
  return out;
}

const takesIntegers = (type: string | string[] | undefined): boolean => (Array.isArray(type) ? type.includes('integer') : type === 'integer');

/**
 * Query and path integers written as anything but digits: Ajv's coercion reads `page=1e3` as 1000,
 * `0x10` as 16 and ` 1` as 1, as `Number()` does; pydantic, and so the course, refuses them. Read
 * before coercion, which rewrites the values.
 */
function nonIntegerText(schema: PartSchema, data: unknown): ErrorObject[] {
  if (data === null || typeof data !== 'object' || !schema.properties) return [];
  const out: ErrorObject[] = [];
  for (const [name, property] of Object.entries(schema.properties)) {
    const value = (data as Record<string, unknown>)[name];
    if (typeof value === 'string' && takesIntegers(property.type) && !/^[+-]?\d+$/.test(value)) {
      out.push({ keyword: 'type', instancePath: pointer(name), schemaPath: '#', params: { type: 'integer' }, data: value, message: 'must be integer' });
    }
  }
  return out;
}

/**
 * Compiled on first use, not at start-up: compiling every route's schemas took a quarter of the
 * cold start (about 120 ms, `node --cpu-prof`), for routes most processes never see in their
 * first second. The first request of each route pays its own compile, a millisecond or so. Beside
 * the schema, every part is checked for unstorable text, text parts for integers that only
 * coercion would accept, and a body's dates for their range.
 */
function compiledOnFirstUse(compile: () => ValidateFunction, schema: PartSchema, text: boolean): ValidateFunction {
  let compiled: ValidateFunction | undefined;
  const validate = ((data: unknown) => {
    compiled ??= compile();
    const strict = text ? nonIntegerText(schema, data) : [];
    const valid = compiled(data);
    const extra = unstorableStrings(data, '', text ? [] : datesOutOfRange(schema, data));
    if (strict.length === 0 && extra.length === 0) {
      validate.errors = compiled.errors;
      return valid;
    }
    // A value that is not digits at all is reported as such, not by what coercion made of it; and
    // the fields stay in the schema's order, as Ajv lists them.
    const misread = new Set(strict.map((e) => e.instancePath));
    const order = Object.keys(schema.properties ?? {});
    const rank = (e: ErrorObject): number => order.indexOf(e.instancePath.split('/')[1] ?? '');
    const kept = (compiled.errors ?? []).filter((e) => !misread.has(e.instancePath));
    validate.errors = [...kept, ...strict].sort((a, b) => rank(a) - rank(b)).concat(extra);
    return false;
  }) as ValidateFunction;
  return validate;
}

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) => {
  const text = httpPart !== 'body';
  const ajv = text ? textAjv : bodyAjv;
  return compiledOnFirstUse(() => ajv.compile(schema), schema as PartSchema, text && httpPart !== 'headers');
};
