import type { ErrorObject } from 'ajv';
import type { ValidationIssue } from './errors.js';

// Fastify names the request parts after its schema keys; FastAPI's `loc` uses these words.
const PART: Record<string, string> = {
  body: 'body',
  querystring: 'query',
  params: 'path',
  headers: 'header',
};

function pointerToLoc(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/**
 * The words for a value of the wrong type. A JSON body keeps its types strictly (a string is never
 * read as a number, unlike pydantic's lax mode), so the message says so rather than claim that
 * "2006" could not be parsed; query and path values are text, so there it is the parsing that failed.
 */
function typeIssue(expected: string | string[], data: unknown, part: string): { msg: string; type: string } {
  const types = Array.isArray(expected) ? expected.filter((t) => t !== 'null') : [expected];
  const main = types[0] ?? 'null';
  switch (main) {
    case 'integer':
      if (typeof data === 'string') {
        return part === 'body'
          ? { msg: 'Input should be a valid integer: a JSON number, not a string (JSON types are strict here)', type: 'int_type' }
          : { msg: 'Input should be a valid integer, unable to parse string as an integer', type: 'int_parsing' };
      }
      return typeof data === 'number'
        ? { msg: 'Input should be a valid integer, got a number with a fractional part', type: 'int_from_float' }
        : { msg: 'Input should be a valid integer', type: 'int_type' };
    case 'number':
      return typeof data === 'string' && part === 'body'
        ? { msg: 'Input should be a valid number: a JSON number, not a string (JSON types are strict here)', type: 'float_type' }
        : { msg: 'Input should be a valid number', type: 'float_type' };
    case 'string':
      return { msg: 'Input should be a valid string', type: 'string_type' };
    case 'boolean':
      return { msg: 'Input should be a valid boolean', type: 'bool_type' };
    case 'array':
      return { msg: 'Input should be a valid list', type: 'list_type' };
    case 'object':
      return { msg: 'Input should be a valid dictionary or object to extract fields from', type: 'model_attributes_type' };
    default:
      return { msg: `Input should be ${main}`, type: `${main}_type` };
  }
}

function issueFor(err: ErrorObject, part: string): ValidationIssue {
  const loc = [part, ...pointerToLoc(err.instancePath)];
  const p = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'required':
      return { loc: [...loc, String(p.missingProperty)], msg: 'Field required', type: 'missing' };
    case 'type': {
      // A request with no body at all reads as FastAPI's "the body is missing".
      if (part === 'body' && err.instancePath === '' && (err.data === undefined || err.data === null)) {
        return { loc, msg: 'Field required', type: 'missing' };
      }
      return { loc, ...typeIssue(p.type as string | string[], err.data, part) };
    }
    case 'minLength':
      return { loc, msg: `String should have at least ${String(p.limit)} character${p.limit === 1 ? '' : 's'}`, type: 'string_too_short' };
    case 'maxLength':
      return { loc, msg: `String should have at most ${String(p.limit)} characters`, type: 'string_too_long' };
    case 'minimum':
      return { loc, msg: `Input should be greater than or equal to ${String(p.limit)}`, type: 'greater_than_equal' };
    case 'maximum':
      return { loc, msg: `Input should be less than or equal to ${String(p.limit)}`, type: 'less_than_equal' };
    case 'exclusiveMinimum':
      return { loc, msg: `Input should be greater than ${String(p.limit)}`, type: 'greater_than' };
    case 'exclusiveMaximum':
      return { loc, msg: `Input should be less than ${String(p.limit)}`, type: 'less_than' };
    case 'pattern':
      return { loc, msg: `String should match pattern '${String(p.pattern)}'`, type: 'string_pattern_mismatch' };
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map((v) => `'${String(v)}'`);
      const list = allowed.length > 1 ? `${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1)}` : allowed.join('');
      return { loc, msg: `Input should be ${list}`, type: 'enum' };
    }
    case 'const':
      return { loc, msg: `Input should be '${String(p.allowedValue)}'`, type: 'literal_error' };
    case 'unstorableText':
      return { loc, msg: 'String should not contain U+0000 (NUL) or an unpaired UTF-16 surrogate', type: 'string_unicode' };
    case 'minProperties':
      return { loc, msg: 'At least one field is required', type: 'missing' };
    default:
      return { loc, msg: err.message ?? 'Invalid value', type: 'value_error' };
  }
}

/** Turns Ajv's errors into FastAPI's 422 `detail` list: one entry per invalid field, no duplicates. */
export function toFastApiIssues(errors: ErrorObject[], context: string): ValidationIssue[] {
  const part = PART[context] ?? context;
  // Ajv reports each failed branch of an anyOf and then the anyOf itself; keep the anyOf only.
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  const issues: ValidationIssue[] = [];
  const seen = new Set<string>();
  for (const err of errors) {
    if (err.keyword !== 'anyOf' && anyOfPaths.has(err.instancePath)) continue;
    const issue =
      err.keyword === 'anyOf' ? { loc: [part, ...pointerToLoc(err.instancePath)], msg: 'Input is not a valid value', type: 'union_error' } : issueFor(err, part);
    const key = JSON.stringify(issue.loc);
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  return issues;
}
