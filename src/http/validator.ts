import { Ajv, type Options } from 'ajv';
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

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? bodyAjv : textAjv;
  return ajv.compile(schema);
};
