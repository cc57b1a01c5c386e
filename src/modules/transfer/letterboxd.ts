import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CsvError, parse } from 'csv-parse';
import { EARLIEST_DATE, isCalendarDate, latestDate } from '../../domain/dates.js';
import { type ImportExpectation, InvalidInput, invalidField } from '../../domain/issues.js';
import { foldText } from '../../domain/text.js';

/**
 * Letterboxd's export format (community.md, "A member's data, in and out"): the files Butaca
 * reads and writes, their columns, and the reading of one file into rows checked value by value.
 * Nothing here touches the database.
 */

/** The files of an export that hold what Butaca keeps, with their columns as Letterboxd writes them. */
export const COLUMNS = {
  diary: ['Date', 'Name', 'Year', 'Letterboxd URI', 'Rating', 'Rewatch', 'Tags', 'Watched Date'],
  ratings: ['Date', 'Name', 'Year', 'Letterboxd URI', 'Rating'],
  reviews: ['Date', 'Name', 'Year', 'Letterboxd URI', 'Rating', 'Rewatch', 'Review', 'Tags', 'Watched Date'],
  watchlist: ['Date', 'Name', 'Year', 'Letterboxd URI'],
  watched: ['Date', 'Name', 'Year', 'Letterboxd URI'],
} as const;
export type FileKind = keyof typeof COLUMNS;
export const FILE_KINDS = Object.keys(COLUMNS) as FileKind[];

/** A list file: its first line, the list's own header and row, a blank line, then the films. */
export const LIST_FORMAT = 'Letterboxd list export v7';
export const LIST_COLUMNS = ['Date', 'Name', 'Tags', 'URL', 'Description'] as const;
export const LIST_ITEM_COLUMNS = ['Position', 'Name', 'Year', 'URL', 'Description'] as const;

/** Limits of the values, the API's own (diary tags, review text, list fields). */
const MAX_TAGS = 20;
const MAX_TAG = 50;
const MAX_REVIEW = 5000;
const MAX_LIST_TITLE = 200;
const MAX_LIST_DESCRIPTION = 5000;
const MAX_NOTE = 1000;
/**
 * The most rows an upload may hold, all files together: ten times the diary of Letterboxd's most
 * prolific members, and what bounds an import's memory (every row is read and checked before a
 * write: about 3 KiB a row at the peak, with the writes' garbage).
 */
export const MAX_IMPORT_ROWS = 100_000;
/** A record longer than this is not a Letterboxd row (a review is at most a few KiB). */
const MAX_RECORD_BYTES = 1024 * 1024;

/** A film as an export names it; `key` is how two names are the same film (case and accents aside). */
export interface Film {
  name: string;
  year: number | null;
}
export const filmKey = (film: Film): string => `${foldText(film.name)}|${film.year ?? ''}`;

/** Where a row came from, for the answer's messages. */
export interface Source {
  file: string;
  line: number;
}

export interface DiaryRow extends Source {
  film: Film;
  uri: string;
  /** When it was logged there (the Date column). */
  logged: string;
  watchedOn: string;
  rewatch: boolean;
  halves: number | null;
  tags: string[];
}
export interface RatingRow extends Source {
  film: Film;
  date: string;
  halves: number;
}
export interface ReviewRow extends Source {
  film: Film;
  uri: string;
  date: string;
  halves: number | null;
  text: string;
  watchedOn: string | null;
}
export interface FilmRow extends Source {
  film: Film;
  date: string;
}
export interface ListItemRow extends Source {
  film: Film;
  position: number;
  note: string | null;
}
export interface ListFile extends Source {
  title: string;
  description: string | null;
  items: ListItemRow[];
}

/** Everything read from an upload, file by file. */
export interface LetterboxdData {
  /** Rows read so far, every file together (MAX_IMPORT_ROWS). */
  rows: number;
  diary: DiaryRow[];
  ratings: RatingRow[];
  reviews: ReviewRow[];
  watchlist: FilmRow[];
  watched: FilmRow[];
  lists: ListFile[];
}

export const emptyData = (): LetterboxdData => ({ rows: 0, diary: [], ratings: [], reviews: [], watchlist: [], watched: [], lists: [] });

const LOC = ['body', 'file'];

/** The kind of an export's file by its path inside the archive (after its top folder, if any), or undefined for files Butaca does not read. */
export function kindOfPath(path: string): FileKind | 'list' | undefined {
  if (/^lists\/[^/]+\.csv$/i.test(path)) return 'list';
  const name = path.toLowerCase();
  return FILE_KINDS.find((kind) => name === `${kind}.csv`);
}

/** A CSV file's rows, each with the line it ends on, counted into `count`; csv-parse's and the source's failures as 422s naming the file. */
async function* rowsOf(source: Readable, file: string, count: { rows: number }): AsyncGenerator<{ fields: string[]; line: number }> {
  const parser = parse({ bom: true, skip_empty_lines: true, relax_column_count: true, info: true, max_record_size: MAX_RECORD_BYTES });
  const piped = pipeline(source, parser);
  piped.catch(() => {}); // the iteration below sees the same error
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (record.some((field) => field.includes('\u0000'))) throw invalidField(LOC, 'import_csv_syntax', { file, line: info.lines, reason: 'nul' });
      if (++count.rows > MAX_IMPORT_ROWS) throw invalidField(LOC, 'import_too_many_rows', { file, line: info.lines, max: MAX_IMPORT_ROWS });
      yield { fields: record, line: info.lines };
    }
    await piped;
  } catch (err) {
    throw entryFailure(err, file);
  } finally {
    // A file refused before its end (a missing column at line 1) must not keep its descriptor open.
    parser.destroy();
    source.destroy();
  }
}

/** What a failure while reading a file of the upload means to the member (a CSV's syntax, a damaged archive entry). */
export function entryFailure(err: unknown, file: string): unknown {
  if (err instanceof InvalidInput) return err;
  const e = err as { code?: string; lines?: number; message?: string };
  if (err instanceof CsvError) {
    // Its codes: CSV_QUOTE_NOT_CLOSED, CSV_MAX_RECORD_SIZE, INVALID_OPENING_QUOTE, CSV_INVALID_CLOSING_QUOTE, …
    const code = err.code as string;
    const reason = code === 'CSV_QUOTE_NOT_CLOSED' ? 'unclosed_quote' : code === 'CSV_MAX_RECORD_SIZE' ? 'record_too_long' : code.includes('QUOTE') ? 'bad_quote' : 'syntax';
    return invalidField(LOC, 'import_csv_syntax', { file, line: e.lines ?? 0, reason });
  }
  // An archive entry inflating past its declared size (yauzl), or deflate data that is not.
  if (/too many bytes|not enough bytes/.test(e.message ?? '')) return invalidField(LOC, 'zip_size_mismatch', { name: file });
  if (typeof e.code === 'string' && e.code.startsWith('Z_')) return invalidField(LOC, 'zip_malformed');
  return err;
}

const bad = (file: string, line: number, column: string, value: string, expected: ImportExpectation) =>
  invalidField(LOC, 'import_bad_value', { file, line, column, value: value.length > 60 ? `${value.slice(0, 60)}…` : value, expected });

/** Reads the values of one row by column name, checking each as it goes. */
class Row {
  constructor(
    private readonly fields: string[],
    private readonly index: Map<string, number>,
    readonly file: string,
    readonly line: number,
  ) {}

  text(column: string): string {
    return (this.fields[this.index.get(column)!] ?? '').trim();
  }

  film(): Film {
    const name = this.text('Name');
    if (name === '') throw bad(this.file, this.line, 'Name', name, 'name');
    const year = this.text('Year');
    if (year !== '' && !/^\d{4}$/.test(year)) throw bad(this.file, this.line, 'Year', year, 'year');
    return { name, year: year === '' ? null : Number(year) };
  }

  date(column: string): string {
    const value = this.text(column);
    if (!isCalendarDate(value) || value < EARLIEST_DATE || value > latestDate()) throw bad(this.file, this.line, column, value, 'date');
    return value;
  }

  watchedDate(column: string, optional = false): string | null {
    const value = this.text(column);
    if (optional && value === '') return null;
    if (!isCalendarDate(value) || value < EARLIEST_DATE || value > latestDate()) throw bad(this.file, this.line, column, value, 'watched_date');
    return value;
  }

  /** Half stars, or null for an empty cell. Letterboxd writes `4` and `4.5`. */
  rating(): number | null {
    const value = this.text('Rating');
    if (value === '') return null;
    const halves = Number(value) * 2;
    if (!/^\d+(\.\d+)?$/.test(value) || !Number.isInteger(halves) || halves < 1 || halves > 10) throw bad(this.file, this.line, 'Rating', value, 'rating');
    return halves;
  }

  rewatch(): boolean {
    const value = this.text('Rewatch').toLowerCase();
    if (value !== '' && value !== 'yes' && value !== 'no') throw bad(this.file, this.line, 'Rewatch', this.text('Rewatch'), 'rewatch');
    return value === 'yes';
  }

  /** Letterboxd's tags are separated by commas; repeats (ignoring case) count once, as the diary keeps them. */
  tags(): string[] {
    const value = this.text('Tags');
    const seen = new Set<string>();
    const tags: string[] = [];
    for (const tag of value.split(',').map((t) => t.trim())) {
      if (tag === '' || seen.has(tag.toLowerCase())) continue;
      seen.add(tag.toLowerCase());
      tags.push(tag);
    }
    if (tags.length > MAX_TAGS || tags.some((t) => t.length > MAX_TAG)) throw bad(this.file, this.line, 'Tags', value, 'tags');
    return tags;
  }

  bounded(column: string, max: number, expected: ImportExpectation): string | null {
    const value = this.text(column);
    if (value.length > max) throw bad(this.file, this.line, column, value, expected);
    return value === '' ? null : value;
  }
}

/** The header's columns by name; every column `required` must be there. */
function headerOf(fields: string[], required: readonly string[], file: string): Map<string, number> {
  const index = new Map(fields.map((name, i) => [name.trim(), i] as const));
  const missing = required.find((column) => !index.has(column));
  if (missing !== undefined) throw invalidField(LOC, 'import_missing_column', { file, column: missing });
  return index;
}

/** Which file a CSV is when its name does not say: a list by its first line, the others by their columns. */
function kindOfHeader(fields: string[]): FileKind | 'list' | undefined {
  if (fields.length === 1 && fields[0]!.trim() === LIST_FORMAT) return 'list';
  const names = new Set(fields.map((f) => f.trim()));
  if (names.has('Review')) return 'reviews';
  if (names.has('Watched Date')) return 'diary';
  if (names.has('Rating')) return 'ratings';
  return undefined;
}

/**
 * Reads one of Letterboxd's CSV files into `into`, checking every value (a wrong one is a 422
 * naming the file, line and column). `kind` comes from the file's name; without one (a CSV
 * uploaded alone under another name) the first line decides, and a file of the four columns
 * Date, Name, Year, Letterboxd URI (the watchlist's and watched.csv's alike) must be named.
 */
export async function readCsv(source: Readable, file: string, kind: FileKind | 'list' | undefined, into: LetterboxdData): Promise<void> {
  const rows = rowsOf(source, file, into);
  try {
    await readRows(rows, file, kind, into);
  } finally {
    await rows.return(undefined); // runs rowsOf's cleanup however the reading ended
  }
}

async function readRows(rows: AsyncGenerator<{ fields: string[]; line: number }>, file: string, kind: FileKind | 'list' | undefined, into: LetterboxdData): Promise<void> {
  const first = await rows.next();
  if (first.done) {
    if (kind === undefined) throw invalidField(LOC, 'import_unknown_file', { file });
    if (kind === 'list') throw invalidField(LOC, 'import_list_layout', { file, line: 1 });
    return; // an empty file: nothing to import
  }
  kind ??= kindOfHeader(first.value.fields);
  if (kind === undefined) throw invalidField(LOC, 'import_unknown_file', { file });
  if (kind === 'list') return readList(first.value, rows, file, into);
  const index = headerOf(first.value.fields, COLUMNS[kind], file);
  for await (const { fields, line } of rows) {
    if (fields.length !== first.value.fields.length) throw invalidField(LOC, 'import_csv_syntax', { file, line, reason: 'field_count' });
    const row = new Row(fields, index, file, line);
    const at = { file, line };
    switch (kind) {
      case 'diary':
        into.diary.push({ ...at, film: row.film(), uri: row.text('Letterboxd URI'), logged: row.date('Date'), watchedOn: row.watchedDate('Watched Date')!, rewatch: row.rewatch(), halves: row.rating(), tags: row.tags() });
        break;
      case 'ratings': {
        const halves = row.rating();
        if (halves === null) throw bad(file, line, 'Rating', '', 'rating');
        into.ratings.push({ ...at, film: row.film(), date: row.date('Date'), halves });
        break;
      }
      case 'reviews': {
        const text = row.text('Review');
        if (text === '' || text.length > MAX_REVIEW) throw bad(file, line, 'Review', text, 'review');
        row.rewatch();
        row.tags();
        into.reviews.push({ ...at, film: row.film(), uri: row.text('Letterboxd URI'), date: row.date('Date'), halves: row.rating(), text, watchedOn: row.watchedDate('Watched Date', true) });
        break;
      }
      case 'watchlist':
      case 'watched':
        into[kind].push({ ...at, film: row.film(), date: row.date('Date') });
        break;
    }
  }
}

/** A list file: the format line, the list's header and row, then (after a blank line, which the parser skips) its films. */
async function readList(first: { fields: string[]; line: number }, rows: AsyncGenerator<{ fields: string[]; line: number }>, file: string, into: LetterboxdData): Promise<void> {
  const layout = (line: number) => invalidField(LOC, 'import_list_layout', { file, line });
  if (first.fields.length !== 1 || first.fields[0]!.trim() !== LIST_FORMAT) throw layout(first.line);
  const header = await rows.next();
  if (header.done) throw layout(first.line + 1);
  const listIndex = headerOf(header.value.fields, ['Name', 'Description'], file);
  const own = await rows.next();
  if (own.done || own.value.fields.length !== header.value.fields.length) throw layout(own.done ? header.value.line + 1 : own.value.line);
  const listRow = new Row(own.value.fields, listIndex, file, own.value.line);
  const title = listRow.text('Name');
  if (title === '' || title.length > MAX_LIST_TITLE) throw bad(file, own.value.line, 'Name', title, 'title');
  const list: ListFile = { file, line: own.value.line, title, description: listRow.bounded('Description', MAX_LIST_DESCRIPTION, 'description'), items: [] };
  const itemsHeader = await rows.next();
  if (!itemsHeader.done) {
    const index = headerOf(itemsHeader.value.fields, ['Position', 'Name', 'Year'], file);
    for await (const { fields, line } of rows) {
      if (fields.length !== itemsHeader.value.fields.length) throw invalidField(LOC, 'import_csv_syntax', { file, line, reason: 'field_count' });
      const row = new Row(fields, index, file, line);
      const position = row.text('Position');
      if (!/^[1-9]\d{0,5}$/.test(position)) throw bad(file, line, 'Position', position, 'position');
      list.items.push({ file, line, film: row.film(), position: Number(position), note: index.has('Description') ? row.bounded('Description', MAX_NOTE, 'description') : null });
    }
  }
  into.lists.push(list);
}

/** A rating in Letterboxd's notation: `4`, `4.5`. */
export const ratingText = (halves: number | null): string => (halves === null ? '' : String(halves / 2));
