import { Ajv, type Options, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

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
 * Compiled on first use, not at start-up: compiling every route's schemas took a quarter of the
 * cold start (about 120 ms, `node --cpu-prof`), for routes most processes never see in their
 * first second. The first request of each route pays its own compile, a millisecond or so.
 */
function compiledOnFirstUse(compile: () => ValidateFunction): ValidateFunction {
  let compiled: ValidateFunction | undefined;
  const validate = ((data: unknown) => {
    compiled ??= compile();
    const valid = compiled(data);
    validate.errors = compiled.errors;
    return valid;
  }) as ValidateFunction;
  return validate;
}

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? bodyAjv : textAjv;
  return compiledOnFirstUse(() => ajv.compile(schema));
};
