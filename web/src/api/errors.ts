import type { paths } from './schema.js';

type JsonOf<R> = R extends { content: { 'application/json': infer Body } } ? Body : never;

/** What went wrong, by the API's stable code (src/domain/errors.ts): what the client translates by. */
export type ErrorCode = JsonOf<paths['/api/v1/movies/{id}']['get']['responses'][404]>['code'];
/** The values in an error's text (a limit, the accepted types, seconds to wait). */
export type ErrorContext = Record<string, string | number>;

/** One entry of FastAPI's 422 list: `loc` is ["body", "title"], ["query", "page"], … and `type` says what is wrong. */
export type Issue = JsonOf<paths['/api/v1/movies']['get']['responses'][422]>['detail'][number];
export type IssueType = Issue['type'];

/** The API answered with an error status: its English `detail`, and the code and values to word it by. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string | Issue[] | undefined,
    readonly code: ErrorCode | undefined = undefined,
    readonly ctx: ErrorContext = {},
  ) {
    super(typeof detail === 'string' ? detail : `HTTP ${status}`);
    this.name = 'ApiError';
  }
}

/** The ApiError of an error answer's body, whatever shape it has (a proxy's HTML 502 has none of ours). */
export function apiErrorOf(status: number, body: unknown): ApiError {
  const b = (body ?? {}) as { detail?: unknown; code?: unknown; ctx?: unknown };
  const detail = typeof b.detail === 'string' || Array.isArray(b.detail) ? (b.detail as string | Issue[]) : undefined;
  const code = typeof b.code === 'string' ? (b.code as ErrorCode) : undefined;
  const ctx = b.ctx !== null && typeof b.ctx === 'object' ? (b.ctx as ErrorContext) : {};
  return new ApiError(status, detail, code, ctx);
}

/** The request never got an answer: offline, server down, connection cut. */
export class NetworkError extends Error {
  constructor() {
    super('Network error');
    this.name = 'NetworkError';
  }
}

export const isAbort = (err: unknown): boolean => err instanceof DOMException && err.name === 'AbortError';
