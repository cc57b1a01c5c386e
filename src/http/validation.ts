import type { ErrorObject } from 'ajv';
import { type Issue, type IssueType, type ValidationIssue, describeIssue } from '../domain/issues.js';

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
 * The type of a value of the wrong JSON type. A JSON body keeps its types strictly, so a number
 * sent as a string there is `int_type` with `got: 'string'` (its text says why); query and path
 * values are text, so there it is the parsing that failed (`int_parsing`).
 */
function typeIssue(expected: string | string[], data: unknown, part: string): Pick<Issue, 'type' | 'ctx'> {
  const types = Array.isArray(expected) ? expected.filter((t) => t !== 'null') : [expected];
  const main = types[0] ?? 'null';
  const stringInBody = typeof data === 'string' && part === 'body';
  const kinds: Record<string, IssueType> = {
    string: 'string_type',
    boolean: 'bool_type',
    array: 'list_type',
    object: 'model_attributes_type',
    null: 'null_type',
  };
  switch (main) {
    case 'integer':
      if (typeof data === 'string') return stringInBody ? { type: 'int_type', ctx: { got: 'string' } } : { type: 'int_parsing' };
      return { type: typeof data === 'number' ? 'int_from_float' : 'int_type' };
    case 'number':
      return stringInBody ? { type: 'float_type', ctx: { got: 'string' } } : { type: 'float_type' };
    default:
      return { type: kinds[main] ?? 'value_error' };
  }
}

const quoteList = (values: unknown[]): string => {
  const quoted = values.map((v) => `'${String(v)}'`);
  return quoted.length > 1 ? `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}` : quoted.join('');
};

function issueFor(err: ErrorObject, part: string): Issue {
  const loc = [part, ...pointerToLoc(err.instancePath)];
  const p = err.params as Record<string, unknown>;
  const limit = Number(p.limit);
  switch (err.keyword) {
    case 'required':
      return { loc: [...loc, String(p.missingProperty)], type: 'missing' };
    case 'type':
      // A request with no body at all reads as FastAPI's "the body is missing".
      if (part === 'body' && err.instancePath === '' && (err.data === undefined || err.data === null)) return { loc, type: 'missing' };
      return { loc, ...typeIssue(p.type as string | string[], err.data, part) };
    case 'minLength':
      return { loc, type: 'string_too_short', ctx: { min_length: limit } };
    case 'maxLength':
      return { loc, type: 'string_too_long', ctx: { max_length: limit } };
    case 'minimum':
      return { loc, type: 'greater_than_equal', ctx: { ge: limit } };
    case 'maximum':
      return { loc, type: 'less_than_equal', ctx: { le: limit } };
    case 'exclusiveMinimum':
      return { loc, type: 'greater_than', ctx: { gt: limit } };
    case 'exclusiveMaximum':
      return { loc, type: 'less_than', ctx: { lt: limit } };
    case 'pattern':
      return { loc, type: 'string_pattern_mismatch', ctx: { pattern: String(p.pattern) } };
    case 'enum':
      return { loc, type: 'enum', ctx: { expected: quoteList(p.allowedValues as unknown[]) } };
    case 'const':
      return { loc, type: 'literal_error', ctx: { expected: quoteList([p.allowedValue]) } };
    case 'multipleOf':
      return { loc, type: 'multiple_of', ctx: { multiple_of: Number(p.multipleOf) } };
    case 'maxItems':
      return { loc, type: 'too_long', ctx: { max_length: limit } };
    case 'format':
      return { loc, type: p.format === 'date' ? 'date_parsing' : 'value_error' };
    case 'dateRange':
      return { loc, type: 'date_out_of_range', ctx: { ge: String(p.ge), le: String(p.le) } };
    case 'minProperties':
      return { loc, type: 'too_few_fields' };
    case 'unstorableText':
      return { loc, type: 'string_unicode' };
    default:
      return { loc, type: 'value_error' };
  }
}

/** Turns Ajv's errors into FastAPI's 422 `detail` list: one entry per invalid field, no duplicates. */
export function toFastApiIssues(errors: ErrorObject[], context: string): ValidationIssue[] {
  const part = PART[context] ?? context;
  // Ajv reports each failed branch of an anyOf and then the anyOf itself; keep the anyOf only.
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  const issues: ValidationIssue[] = [];
  const seen = new Set<string>();
  // Ajv checks an if/then/else before the properties; its fields (`score` required unless `rating`
  // is sent) are the schema's last, and are listed last.
  const conditional = (e: ErrorObject): boolean => /^#\/(then|else)\//.test(e.schemaPath);
  const ordered = [...errors.filter((e) => !conditional(e)), ...errors.filter(conditional)];
  for (const err of ordered) {
    if (err.keyword !== 'anyOf' && anyOfPaths.has(err.instancePath)) continue;
    // An if/then/else reports the branch's own errors and then itself: the branch's say what is wrong.
    if (err.keyword === 'if') continue;
    const issue: Issue = err.keyword === 'anyOf' ? { loc: [part, ...pointerToLoc(err.instancePath)], type: 'union_error' } : issueFor(err, part);
    const key = JSON.stringify(issue.loc);
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(describeIssue(issue));
  }
  return issues;
}
