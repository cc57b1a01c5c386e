import type { Messages } from '../i18n';
import { ApiError, type ErrorCode, NetworkError } from './errors';

/** The field an error is about, where it is about one: the form shows it there, as it does a 422. */
const FIELD_OF: Partial<Record<ErrorCode, string>> = {
  username_taken: 'username',
  movie_exists: 'title',
  imdb_id_exists: 'imdb_id',
  current_password_incorrect: 'current_password',
  password_incorrect: 'password',
};

/** How a failed request is shown: messages beside the fields it names, or one sentence for the page. */
export interface Problem {
  /** 422 messages by field name (the last name in `loc`, e.g. "title" for ["body", "title"]). */
  fields: Record<string, string>;
  /** A sentence for the whole form or page (409, 403, 415, network…), shown with role="alert". */
  message: string | null;
  /** Trying the same request again may work: offer a Retry button. */
  retry: boolean;
  /** 401: the person must log in (again); the caller sends them to /login?next=… */
  unauthorized: boolean;
}

export const NO_PROBLEM: Problem = { fields: {}, message: null, retry: false, unauthorized: false };

/**
 * `fields` are the names this form shows; a 422 about any other part of the request (a missing
 * body, a query value) cannot be placed beside a field, so it becomes the page-level message.
 */
export function toProblem(err: unknown, t: Messages, fields: readonly string[] = []): Problem {
  if (err instanceof NetworkError) return { ...NO_PROBLEM, message: t.networkError, retry: true };
  if (!(err instanceof ApiError)) return { ...NO_PROBLEM, message: t.unexpectedError, retry: true };

  const { status, detail, code, ctx } = err;
  if (status === 422 && Array.isArray(detail)) {
    const placed: Record<string, string> = {};
    const loose: string[] = [];
    for (const issue of detail) {
      // The field is the last name in `loc`: ["body", "directors", 1] is about the directors.
      const name = issue.loc.findLast((part) => typeof part === 'string');
      const text = t.issues[issue.type]?.(issue.ctx ?? {}) ?? issue.msg;
      if (typeof name === 'string' && fields.includes(name)) placed[name] ??= text;
      else loose.push(text);
    }
    return { ...NO_PROBLEM, fields: placed, message: loose.length > 0 ? loose.join(' ') : null };
  }
  // By code, in the reader's language; the API's English only for a code this build does not know.
  const text = code !== undefined && t.errors[code] ? t.errors[code](ctx) : typeof detail === 'string' ? detail : null;
  // An error about one field (a username taken, a wrong current password) is shown beside it.
  const field = code !== undefined ? FIELD_OF[code] : undefined;
  if (text !== null && field !== undefined && fields.includes(field)) return { ...NO_PROBLEM, fields: { [field]: text } };
  if (status === 401) return { ...NO_PROBLEM, message: text ?? t.sessionExpired, unauthorized: true };
  if (status === 429) return { ...NO_PROBLEM, message: text ?? t.tooManyRequests, retry: true };
  if (status >= 500) return { ...NO_PROBLEM, message: t.serverError(status), retry: true };
  return { ...NO_PROBLEM, message: text ?? t.genericError(status) };
}
