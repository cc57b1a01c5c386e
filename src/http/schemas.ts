import { type Static, Type, type TSchema } from 'typebox';
import { ERROR_CODES, type ErrorCode } from '../domain/errors.js';
import { ISSUE_TYPES, type IssueType, invalidField } from '../domain/issues.js';

/** The values an error's text is made from (a limit, a type, seconds to wait), for a client that words it itself. */
const Context = Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]), { description: 'The values in the text (src/domain/errors.ts)' });

export const ErrorBody = Type.Object(
  {
    detail: Type.String({ description: 'What went wrong, in English, for a person to read (what the course’s clients show)' }),
    code: Type.Unsafe<ErrorCode>({ type: 'string', enum: [...ERROR_CODES], description: 'What went wrong, as a stable identifier to translate by' }),
    ctx: Type.Optional(Context),
  },
  { title: 'Error' },
);

export const ValidationErrorBody = Type.Object(
  {
    detail: Type.Array(
      Type.Object({
        loc: Type.Array(Type.Union([Type.String(), Type.Integer()]), {
          description: 'Where: body, query, path, header or cookie, then the field',
        }),
        msg: Type.String({ description: 'What is wrong with it, in English' }),
        type: Type.Unsafe<IssueType>({ type: 'string', enum: [...ISSUE_TYPES], description: 'What is wrong with it, as FastAPI (pydantic) names it' }),
        ctx: Type.Optional(Context),
      }),
    ),
  },
  { title: 'ValidationError' },
);

export const IdParams = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: 2147483647, description: 'A positive integer id' }),
});

/** `?ids=1,2,3`: up to 100 ids of `what`, comma-separated (one request for a page of cards). */
export const IdsQuery = (what: string) =>
  Type.Object({ ids: Type.String({ pattern: '^[1-9][0-9]{0,9}(,[1-9][0-9]{0,9}){0,99}$', description: `Up to 100 ${what} ids, comma-separated (each answered once, in the order asked)` }) });

/** The largest id a row may have (a 32-bit integer column on PostgreSQL). */
export const MAX_ID = 2147483647;

/** The ids of a validated IdsQuery, each once, in the order asked; one past MAX_ID is a 422 (not a database error). */
export function idsOf(query: { ids: string }): number[] {
  const ids = [...new Set(query.ids.split(',').map(Number))];
  if (ids.some((id) => id > MAX_ID)) throw invalidField(['query', 'ids'], 'less_than_equal', { le: MAX_ID });
  return ids;
}

/** A nullable value, as one JSON Schema `type` list: Ajv then reports one clean error per field. */
export function Nullable<T extends TSchema>(schema: T) {
  const s = schema as unknown as { type: string };
  return Type.Unsafe<Static<T> | null>({ ...schema, type: [s.type, 'null'] });
}

const errorDescriptions: Record<number, string> = {
  400: 'Malformed request (the body is not valid JSON)',
  401: 'Not authenticated',
  403: 'Authenticated but not allowed',
  404: 'Not found',
  409: 'Conflicts with an existing resource',
  413: 'Request body too large',
  415: 'Unsupported Content-Type',
  429: 'Too many attempts; see Retry-After',
};

/** Response schemas for the error statuses a route can answer, so each appears in the OpenAPI document. */
export function errors(...statuses: number[]): Record<number, TSchema> {
  const out: Record<number, TSchema> = {};
  for (const status of statuses) {
    out[status] =
      status === 422
        ? Type.Object(ValidationErrorBody.properties, { description: 'Validation error: every invalid field' })
        : Type.Object(ErrorBody.properties, { description: errorDescriptions[status] ?? 'Error' });
  }
  return out;
}

/** Errors any route that reads a JSON body can answer. */
export const BODY_ERRORS = [400, 413, 415, 422] as const;

export const NoContent = Type.Unsafe<undefined>({ type: 'null', description: 'No content' });
