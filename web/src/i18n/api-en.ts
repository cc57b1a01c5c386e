import type { ErrorCode, ErrorContext, IssueType } from '../api/errors.js';

/**
 * The API's errors and invalid-field kinds, in English, by their codes (src/domain/errors.ts and
 * src/domain/issues.ts on the server). Typed as complete records over the codes the OpenAPI
 * document lists, so a new code without a text here fails the type check; test/i18n.test.ts checks
 * the same at run time, for both languages.
 */
type Texts<K extends string> = Record<K, (ctx: ErrorContext) => string>;

const mib = (bytes: unknown) => `${Math.round(Number(bytes) / 1024 / 1024)} MiB`;
const seconds = (n: unknown) => (Number(n) === 1 ? '1 second' : `${String(n)} seconds`);

export const apiErrorsEn: Texts<ErrorCode> = {
  not_found: () => 'There is nothing at this address.',
  method_not_allowed: () => 'This address does not take that kind of request.',
  malformed_url: () => 'The address is not valid.',
  malformed_request: () => 'The request was malformed.',
  missing_host: () => 'The request did not say which site it is for.',
  request_timeout: () => 'The request took too long to arrive.',
  header_too_large: () => 'The request is too large.',
  chunk_extensions_too_large: () => 'The request is too large.',
  bad_request: () => 'The request could not be understood.',
  body_not_json: () => 'The request could not be read (it is not valid JSON).',
  body_empty: () => 'The request was empty.',
  body_too_deep: () => 'The request is too deeply nested.',
  body_too_large: (c) => `The request is larger than ${String(c.limit)} bytes.`,
  unsupported_media_type: () => 'The request was sent in a format this address does not take.',
  too_many_requests: (c) => `Too many requests. Try again in ${seconds(c.retry_after)}.`,
  range_not_satisfiable: () => 'That part of the file does not exist.',
  client_closed_request: () => 'The connection was closed.',
  internal_error: () => 'Something went wrong on the server.',
  not_ready: () => 'Butaca is starting or stopping. Try again in a moment.',
  database_unavailable: () => 'Butaca cannot reach its database right now. Try again in a moment.',
  media_store_unavailable: () => 'Posters and trailers cannot be reached right now. Try again in a moment.',
  not_authenticated: () => 'You need to log in.',
  invalid_token: () => 'Your session has ended. Log in again.',
  invalid_session: () => 'Your session has ended. Log in again.',
  invalid_credentials: () => 'Incorrect username or password.',
  cross_site: () => 'Refused: the request came from another site.',
  admin_required: () => 'Only administrators may do this.',
  current_password_incorrect: () => 'The current password is not correct.',
  password_incorrect: () => 'The password is not correct.',
  login_throttled: () => 'Too many failed attempts. Wait a while and try again.',
  password_throttled: () => 'Too many failed password attempts. Wait a while and try again.',
  login_check_unavailable: () => 'Logging in is not possible right now. Try again in a moment.',
  password_check_unavailable: () => 'The password cannot be checked right now. Try again in a moment.',
  username_taken: () => 'That username is already in use.',
  user_not_found: () => 'That user does not exist.',
  movie_not_found: () => 'That movie does not exist.',
  movie_exists: () => 'A movie with this title and year already exists.',
  review_not_found: () => 'That review does not exist.',
  review_exists: () => 'You have already reviewed this movie.',
  not_review_author: () => 'Only its author may change this review.',
  not_review_author_or_admin: () => 'Only its author or an administrator may delete this review.',
  poster_not_found: () => 'This movie has no poster.',
  trailer_not_found: () => 'This movie has no trailer.',
  poster_exists: () => 'This movie already has a poster.',
  trailer_exists: () => 'This movie already has a trailer.',
  file_too_large: (c) => `The file is larger than the limit of ${mib(c.limit)}.`,
  file_type_unsupported: (c) => `This kind of file is not accepted${c.found ? ` (${String(c.found)})` : ''}: only ${String(c.accepted)}.`,
  multipart_malformed: () => 'The upload could not be read.',
  upload_interrupted: () => 'The upload was interrupted.',
};

export const apiIssuesEn: Texts<IssueType> = {
  missing: () => 'This field is required.',
  int_type: () => 'Must be a whole number.',
  int_parsing: () => 'Must be a whole number.',
  int_from_float: () => 'Must be a whole number.',
  float_type: () => 'Must be a number.',
  string_type: () => 'Must be text.',
  bool_type: () => 'Must be yes or no.',
  list_type: () => 'Must be a list.',
  model_attributes_type: () => 'Must be an object.',
  null_type: () => 'Must be empty.',
  string_too_short: (c) => (Number(c.min_length) === 1 ? 'Must not be empty.' : `Must be at least ${String(c.min_length)} characters.`),
  string_too_long: (c) => `Must be at most ${String(c.max_length)} characters.`,
  greater_than_equal: (c) => `Must be ${String(c.ge)} or more.`,
  less_than_equal: (c) => `Must be ${String(c.le)} or less.`,
  greater_than: (c) => `Must be more than ${String(c.gt)}.`,
  less_than: (c) => `Must be less than ${String(c.lt)}.`,
  string_pattern_mismatch: () => 'Contains characters that are not allowed.',
  enum: (c) => `Must be one of ${String(c.expected)}.`,
  literal_error: (c) => `Must be ${String(c.expected)}.`,
  union_error: () => 'Not a valid value.',
  too_few_fields: () => 'Change at least one field.',
  string_unicode: () => 'Contains characters that cannot be stored.',
  value_error: () => 'Not a valid value.',
  file_empty: () => 'The file is empty.',
  image_undecodable: () => 'The image could not be read.',
  image_too_large: (c) => `The image has more than ${String(c.max_megapixels)} megapixels.`,
  video_malformed: () => 'The video file is incomplete or damaged.',
};
