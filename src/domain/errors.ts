/**
 * Every error the API can answer, by a stable code: the one place that says what each means.
 * Modules and infrastructure throw a `DomainError` with a code (and the values its text needs);
 * src/http/problems.ts alone turns it into an HTTP answer, `{"detail": <English>, "code": <code>}`
 * with the status of its kind. The course's clients read `detail`, unchanged; the web client
 * translates by `code` (web/src/i18n), and a test fails when a code has no English or Spanish text.
 * Validation errors (422) are listed field by field instead, each with its own `type`
 * (src/http/validation.ts).
 */

/** What sort of failure an error is; its HTTP status follows from this alone. */
export type ErrorKind =
  | 'bad_request'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'timeout'
  | 'conflict'
  | 'too_large'
  | 'unsupported'
  | 'range'
  | 'rate_limited'
  | 'header_too_large'
  | 'client_closed'
  | 'internal'
  | 'unavailable';

/** Values an error's text is made from (a limit, a type, seconds to wait): sent as `ctx`. */
export type ErrorContext = Record<string, string | number>;

interface ErrorDefinition {
  kind: ErrorKind;
  /** The English text, as the course's API words it where the course has it. */
  detail: (ctx: ErrorContext) => string;
}

const define = <T extends Record<string, ErrorDefinition>>(errors: T): T => errors;
const fixed = (kind: ErrorKind, text: string): ErrorDefinition => ({ kind, detail: () => text });

export const ERRORS = define({
  // The request itself
  not_found: fixed('not_found', 'Not Found'),
  method_not_allowed: fixed('method_not_allowed', 'Method Not Allowed'),
  malformed_url: fixed('bad_request', 'Malformed URL: it does not decode as UTF-8'),
  malformed_request: { kind: 'bad_request', detail: (c) => `Malformed HTTP request: ${c.reason}` },
  missing_host: fixed('bad_request', 'Missing Host header: HTTP/1.1 requests must name the host'),
  request_timeout: { kind: 'timeout', detail: (c) => `The request line and headers did not arrive within ${c.seconds} seconds` },
  header_too_large: { kind: 'header_too_large', detail: (c) => `Request line and headers are larger than the limit of ${c.limit} bytes` },
  chunk_extensions_too_large: fixed('too_large', 'Chunk extensions of the request body are too large'),
  bad_request: { kind: 'bad_request', detail: (c) => String(c.reason ?? 'Bad Request') },
  body_not_json: fixed('bad_request', 'Request body is not valid JSON'),
  body_not_utf8: fixed('bad_request', 'Request body is not valid UTF-8, which JSON must be'),
  body_forbidden_key: fixed('bad_request', 'Request body has a key that is refused: __proto__, or constructor with prototype'),
  body_empty: fixed('bad_request', 'Request body is empty but Content-Type is application/json'),
  body_too_deep: { kind: 'bad_request', detail: (c) => `Request body nests arrays or objects deeper than ${c.max_depth} levels` },
  body_too_large: { kind: 'too_large', detail: (c) => `Request body is larger than the limit of ${c.limit} bytes` },
  unsupported_media_type: { kind: 'unsupported', detail: (c) => `Unsupported Content-Type: send ${c.accepted}` },
  too_many_requests: { kind: 'rate_limited', detail: (c) => `Too many requests; try again in ${c.retry_after} seconds` },
  range_not_satisfiable: fixed('range', 'Range Not Satisfiable'),
  // Nobody reads it: the client has gone. It names the access log's 499.
  client_closed_request: fixed('client_closed', 'The client closed the connection'),

  // The service
  internal_error: fixed('internal', 'Internal Server Error'),
  not_ready: fixed('unavailable', 'Not ready'),
  database_unavailable: fixed('unavailable', 'The database is unavailable; try again shortly'),
  media_store_unavailable: fixed('unavailable', 'Media storage is unavailable'),

  // Authentication
  not_authenticated: fixed('unauthenticated', 'Not authenticated'),
  invalid_token: fixed('unauthenticated', 'Invalid or expired token'),
  invalid_session: fixed('unauthenticated', 'Invalid or expired session'),
  invalid_credentials: fixed('unauthenticated', 'Incorrect username or password'),
  cross_site: fixed('forbidden', 'Cross-site request refused: use a bearer token for requests from other origins'),
  admin_required: fixed('forbidden', 'Administrator role required'),
  current_password_incorrect: fixed('forbidden', 'Current password is incorrect'),
  password_incorrect: fixed('forbidden', 'Password is incorrect'),
  login_throttled: fixed('rate_limited', 'Too many failed login attempts; try again later'),
  password_throttled: fixed('rate_limited', 'Too many failed password attempts; try again later'),
  login_check_unavailable: fixed('unavailable', 'Cannot check login attempts right now; try again shortly'),
  password_check_unavailable: fixed('unavailable', 'Cannot check password attempts right now; try again shortly'),

  // Users
  username_taken: fixed('conflict', 'Username already in use'),
  email_taken: fixed('conflict', 'Email already in use by another account'),
  user_not_found: fixed('not_found', 'User not found'),

  // Movies
  movie_not_found: fixed('not_found', 'Movie not found'),
  movie_exists: fixed('conflict', 'A movie with this title and year already exists'),
  imdb_id_exists: fixed('conflict', 'A movie with this IMDb id already exists'),

  // Reviews
  review_not_found: fixed('not_found', 'Review not found'),
  review_exists: fixed('conflict', 'Already created a review'),
  not_review_author: fixed('forbidden', 'Only the author may change this review'),
  not_review_author_or_admin: fixed('forbidden', 'Only the author or an administrator may delete this review'),

  // Ratings, the diary, the watchlist
  rating_not_found: fixed('not_found', 'You have not rated this movie'),
  rating_held_by_review: fixed('conflict', 'Your review of this movie holds this rating: delete the review to remove it'),
  diary_entry_not_found: fixed('not_found', 'Diary entry not found'),
  not_diary_owner: fixed('forbidden', 'Only its author may change or delete this diary entry'),

  // Profiles
  avatar_not_found: fixed('not_found', 'Avatar not found'),

  // Comments, lists
  comment_not_found: fixed('not_found', 'Comment not found'),
  not_comment_deleter: fixed('forbidden', 'Only the comment’s author, the review’s author or an administrator may delete this comment'),
  list_not_found: fixed('not_found', 'List not found'),
  not_list_owner: fixed('forbidden', 'Only its owner may change this list'),
  not_list_owner_or_admin: fixed('forbidden', 'Only its owner or an administrator may delete this list'),

  // Media
  poster_not_found: fixed('not_found', 'Poster not found'),
  trailer_not_found: fixed('not_found', 'Trailer not found'),
  poster_exists: fixed('conflict', 'This movie already has a poster; use PUT to replace it'),
  trailer_exists: fixed('conflict', 'This movie already has a trailer; use PUT to replace it'),
  file_too_large: { kind: 'too_large', detail: (c) => `File is larger than the limit of ${c.limit} bytes` },
  file_type_unsupported: {
    kind: 'unsupported',
    detail: (c) => `Unsupported file type${c.found ? ` (${c.found})` : ''}: ${c.accepted} only`,
  },
  multipart_malformed: fixed('bad_request', 'Malformed multipart body'),
  upload_interrupted: fixed('bad_request', 'The upload was interrupted'),
});

export type ErrorCode = keyof typeof ERRORS;

/** Every code, in the catalogue's order: the `code` enum of the OpenAPI document. */
export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

/**
 * A failure the caller can be told about, by code. `cause` keeps what went wrong underneath (a
 * database or store error) for the server's log; the answer never shows it.
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly ctx: ErrorContext = {},
    options: { cause?: unknown } = {},
  ) {
    super(ERRORS[code].detail(ctx), options);
    this.name = 'DomainError';
  }

  get kind(): ErrorKind {
    return ERRORS[this.code].kind;
  }
}
