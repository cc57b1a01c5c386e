import { DomainError, type ErrorCode, type ErrorContext, type ErrorKind } from '../domain/errors.js';
import type { ValidationIssue } from '../domain/issues.js';

/** The one mapping from a kind of failure to its HTTP status. */
export const STATUS: Record<ErrorKind, number> = {
  bad_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  timeout: 408,
  conflict: 409,
  too_large: 413,
  unsupported: 415,
  range: 416,
  rate_limited: 429,
  header_too_large: 431,
  // nginx's "client closed request": never seen by the client, but the access log shows it.
  client_closed: 499,
  internal: 500,
  unavailable: 503,
};

/** An error answer: FastAPI's `{"detail"}`, the code the web client translates by, and the values in its text. */
export interface ProblemBody {
  detail: string;
  code: ErrorCode;
  ctx?: ErrorContext;
}

export interface Problem {
  status: number;
  headers: Record<string, string>;
  body: ProblemBody;
}

/**
 * The HTTP answer of a domain error. Headers follow from the kind: a 401 says how to
 * authenticate (`WWW-Authenticate: Bearer`, as FastAPI's OAuth2 scheme does), and an error that
 * says when to come back (`retry_after` seconds in its context: 429s, and 503s of a service that
 * will be back) carries Retry-After.
 */
export function problemOf(err: DomainError): Problem {
  const status = STATUS[err.kind];
  const headers: Record<string, string> = {};
  if (err.kind === 'unauthenticated') headers['www-authenticate'] = 'Bearer';
  if (err.ctx.retry_after !== undefined) headers['retry-after'] = String(err.ctx.retry_after);
  const { retry_after: _wait, ...shown } = err.ctx;
  const body: ProblemBody = { detail: err.message, code: err.code };
  // Seconds to wait are the header's business; the other values are what the text is made from.
  const ctx = err.kind === 'rate_limited' ? err.ctx : shown;
  if (Object.keys(ctx).length > 0) body.ctx = ctx;
  return { status, headers, body };
}

/** A problem by code, for the places that answer without throwing (the not-found handler, raw sockets). */
export const problem = (code: ErrorCode, ctx: ErrorContext = {}): Problem => problemOf(new DomainError(code, ctx));

/** The 422 body: FastAPI's list of every invalid field. */
export const validationBody = (issues: ValidationIssue[]): { detail: ValidationIssue[] } => ({ detail: issues });
