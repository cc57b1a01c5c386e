import type { ErrorContext } from './errors.js';

/**
 * The kinds of invalid value a 422 lists, FastAPI's (pydantic's) names and words where it has
 * them, each with the values its text needs in `ctx` (`min_length`, `le`, …, as pydantic names
 * them). The web client translates by `type` and `ctx`; a test fails when a type has no English
 * or Spanish text there.
 */
const issue = (msg: (ctx: ErrorContext) => string) => ({ msg });
/** What an imported value should have been, by the `expected` of an `import_bad_value` (the web client translates the same codes). */
export const IMPORT_EXPECTED = {
  date: 'a date from 1878-01-01 to tomorrow, as YYYY-MM-DD',
  watched_date: 'a date from 1878-01-01 to tomorrow, as YYYY-MM-DD',
  rating: 'empty or a rating from 0.5 to 5 in half stars',
  year: 'empty or a year (four digits)',
  rewatch: '"Yes", "No" or empty',
  name: "the film's name (not empty)",
  tags: 'at most 20 tags of 1–50 characters, separated by commas',
  review: 'a review of 1–5000 characters',
  position: 'a position (1, 2, 3…)',
  title: "the list's name, 1–200 characters",
  description: 'at most 5000 characters (1000 for a film’s note)',
} as const;
export type ImportExpectation = keyof typeof IMPORT_EXPECTED;

/** What is wrong with a line that is not CSV, by the `reason` of an `import_csv_syntax`. */
export const CSV_PROBLEMS = {
  unclosed_quote: 'a quoted field is never closed',
  bad_quote: 'a quote inside a field that is not quoted, or text after a closing quote',
  field_count: 'another number of fields than the header has',
  record_too_long: 'a row longer than 1 MiB',
  nul: 'a NUL character',
  syntax: 'it cannot be read as CSV',
} as const;
export type CsvProblem = keyof typeof CSV_PROBLEMS;

const plural = (n: unknown, word: string): string => `${String(n)} ${word}${n === 1 ? '' : 's'}`;

export const ISSUES = {
  missing: issue(() => 'Field required'),
  // `got: 'string'`: a JSON body keeps its types strictly (a string is never read as a number,
  // unlike pydantic's lax mode), so the text says so rather than claim "2006" could not be parsed.
  int_type: issue((c) => (c.got === 'string' ? 'Input should be a valid integer: a JSON number, not a string (JSON types are strict here)' : 'Input should be a valid integer')),
  int_parsing: issue(() => 'Input should be a valid integer, unable to parse string as an integer'),
  int_from_float: issue(() => 'Input should be a valid integer, got a number with a fractional part'),
  float_type: issue((c) => (c.got === 'string' ? 'Input should be a valid number: a JSON number, not a string (JSON types are strict here)' : 'Input should be a valid number')),
  string_type: issue(() => 'Input should be a valid string'),
  bool_type: issue(() => 'Input should be a valid boolean'),
  list_type: issue(() => 'Input should be a valid list'),
  model_attributes_type: issue(() => 'Input should be a valid dictionary or object to extract fields from'),
  null_type: issue(() => 'Input should be null'),
  string_too_short: issue((c) => `String should have at least ${plural(c.min_length, 'character')}`),
  string_too_long: issue((c) => `String should have at most ${plural(c.max_length, 'character')}`),
  greater_than_equal: issue((c) => `Input should be greater than or equal to ${String(c.ge)}`),
  less_than_equal: issue((c) => `Input should be less than or equal to ${String(c.le)}`),
  greater_than: issue((c) => `Input should be greater than ${String(c.gt)}`),
  less_than: issue((c) => `Input should be less than ${String(c.lt)}`),
  string_pattern_mismatch: issue((c) => `String should match pattern '${String(c.pattern)}'`),
  enum: issue((c) => `Input should be ${String(c.expected)}`),
  literal_error: issue((c) => `Input should be ${String(c.expected)}`),
  union_error: issue(() => 'Input is not a valid value'),
  multiple_of: issue((c) => `Input should be a multiple of ${String(c.multiple_of)}`),
  too_long: issue((c) => `List should have at most ${plural(c.max_length, 'item')}`),
  date_parsing: issue(() => 'Input should be a valid date in the format YYYY-MM-DD'),
  date_out_of_range: issue((c) => `Date should be from ${String(c.ge)} to ${String(c.le)}`),
  // A review sent with both: score must be the rating rounded half up.
  rating_score_mismatch: issue((c) => `Rating ${String(c.rating)} and score ${String(c.score)} disagree: score is the rating rounded half up (${String(c.expected_score)})`),
  too_few_fields: issue(() => 'At least one field is required'),
  // Follows and lists: limits past schema validation.
  follow_self: issue(() => 'You cannot follow yourself'),
  too_many_lists: issue((c) => `You already have ${String(c.max)} lists, the most a member may have`),
  list_full: issue((c) => `The list already has ${String(c.max)} movies, the most a list may hold`),
  cursor_invalid: issue(() => 'Not a cursor this API gave: follow the Link header of the previous page'),
  string_unicode: issue(() => 'String should not contain U+0000 (NUL) or an unpaired UTF-16 surrogate'),
  value_error: issue(() => 'Invalid value'),
  // Uploads: what the bytes turned out to be.
  file_empty: issue(() => 'The file is empty'),
  image_undecodable: issue(() => 'The image could not be decoded'),
  image_too_large: issue((c) => `The image has more than ${String(c.max_megapixels)} megapixels`),
  video_malformed: issue(() => 'The MP4 file is truncated or malformed'),
  reset_token_invalid: issue(() => 'This password reset link is not valid: it was used already, a newer one was sent, or its 30 minutes are over. Ask for a new one'),
  // Imports (a Letterboxd export): the archive, then the file and line that is wrong.
  zip_malformed: issue(() => 'The file is neither a readable ZIP archive nor a CSV file'),
  zip_too_large: issue((c) => `The archive's files inflate to more than ${String(c.max)} bytes in all`),
  zip_too_many_entries: issue((c) => `The archive holds more than ${String(c.max)} entries`),
  zip_unsafe_path: issue((c) => `The archive has an entry named outside itself: ${String(c.name)}`),
  zip_encrypted: issue((c) => `The archive's entry ${String(c.name)} is encrypted`),
  zip_size_mismatch: issue((c) => `The archive's entry ${String(c.name)} inflates to another size than it declares`),
  import_unknown_file: issue((c) => `${String(c.file)} is none of Letterboxd's export files (diary.csv, ratings.csv, reviews.csv, watchlist.csv, watched.csv, a list): name it as Letterboxd does`),
  import_missing_column: issue((c) => `${String(c.file)}: the column "${String(c.column)}" is missing`),
  import_bad_value: issue((c) => `${String(c.file)}, line ${String(c.line)}: ${String(c.column)} "${String(c.value)}" should be ${IMPORT_EXPECTED[c.expected as ImportExpectation] ?? String(c.expected)}`),
  import_csv_syntax: issue((c) => `${String(c.file)}, line ${String(c.line)}: not valid CSV: ${CSV_PROBLEMS[c.reason as CsvProblem] ?? String(c.reason)}`),
  import_too_many_rows: issue((c) => `${String(c.file)}, line ${String(c.line)}: the upload holds more than ${String(c.max)} rows in all, more than an import takes`),
  import_list_layout: issue((c) => `${String(c.file)}, line ${String(c.line)}: not the layout of a Letterboxd list export (v7)`),
} as const;

export type IssueType = keyof typeof ISSUES;

/** Every type, in the catalogue's order: the `type` enum of the OpenAPI document. */
export const ISSUE_TYPES = Object.keys(ISSUES) as IssueType[];

/** One invalid field: where (`["body", "score"]`), what kind of problem, and its values. */
export interface Issue {
  loc: (string | number)[];
  type: IssueType;
  ctx?: ErrorContext;
}

/** FastAPI's 422 item: `msg` is the English text of `type` with `ctx`. */
export interface ValidationIssue {
  loc: (string | number)[];
  msg: string;
  type: IssueType;
  ctx?: ErrorContext;
}

export function describeIssue(issue: Issue): ValidationIssue {
  return { loc: issue.loc, msg: ISSUES[issue.type].msg(issue.ctx ?? {}), type: issue.type, ...(issue.ctx ? { ctx: issue.ctx } : {}) };
}

/** Invalid input found past schema validation (an upload's bytes): a 422 with these fields. */
export class InvalidInput extends Error {
  constructor(readonly issues: Issue[]) {
    super(issues.map((i) => describeIssue(i).msg).join('; '));
    this.name = 'InvalidInput';
  }
}

export const invalidField = (loc: (string | number)[], type: IssueType, ctx?: ErrorContext): InvalidInput => new InvalidInput([{ loc, type, ...(ctx ? { ctx } : {}) }]);
