/** One item of FastAPI's 422 body. */
export interface ValidationIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/** An error that becomes `{"detail": ...}` with its status; thrown by handlers and hooks. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly detail: string | ValidationIssue[],
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof detail === 'string' ? detail : 'Validation error');
    this.name = 'HttpError';
  }
}

export const notFound = (what: string): HttpError => new HttpError(404, `${what} not found`);
export const conflict = (detail: string): HttpError => new HttpError(409, detail);
export const forbidden = (detail: string): HttpError => new HttpError(403, detail);
export const unauthorized = (detail = 'Not authenticated'): HttpError =>
  new HttpError(401, detail, { 'www-authenticate': 'Bearer' });
export const invalid = (loc: (string | number)[], msg: string, type: string): HttpError =>
  new HttpError(422, [{ loc, msg, type }]);
