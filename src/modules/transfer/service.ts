import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import yazl from 'yazl';
import type { Db } from '../../db/connect.js';
import { inTransaction } from '../../db/transaction.js';
import { invalidField } from '../../domain/issues.js';
import { foldText } from '../../domain/text.js';
import { asHistory } from '../activity/index.js';
import { type ImportedEntry, insertImportedEntries } from '../diary/index.js';
import { createList, putItem } from '../lists/index.js';
import { MAX_CANDIDATES, type TitleCandidate, lockMovies, moviesTitled, titleCandidates } from '../movies/index.js';
import { createReview, writeRating } from '../reviews/index.js';
import type { User } from '../users/index.js';
import { insertImportedWatchlist } from '../watchlist/index.js';
import {
  EXPORT_PAGE,
  commentsPage,
  diaryPage,
  followsPage,
  likesPage,
  listItemsOf,
  listsOf,
  memberState,
  ratingsPage,
  reviewsPage,
  viewingKey,
  watchlistPage,
} from './data.js';
import {
  COLUMNS,
  type Film,
  LIST_COLUMNS,
  LIST_FORMAT,
  LIST_ITEM_COLUMNS,
  type LetterboxdData,
  emptyData,
  entryFailure,
  filmKey,
  kindOfPath,
  ratingText,
  readCsv,
} from './letterboxd.js';
import type { ImportSummary } from './schemas.js';
import { ZipArchive, looksLikeZip } from './zip.js';

/** The largest `butaca.json` an import reads (for what Letterboxd's CSVs cannot carry); a larger one is ignored. */
const EXTRAS_MAX_BYTES = 20 * 1024 * 1024;

/**
 * What Butaca's own export says that Letterboxd's format cannot: whether a list is public and
 * ranked, which reviews give the film away, which viewings were liked. Read from `butaca.json`
 * when the archive has one, so moving an account between two Butacas loses nothing; keyed by the
 * names the CSVs use.
 */
interface Extras {
  /** By title, in the export's order (two lists may share a title). */
  lists: Map<string, { public: boolean; ranked: boolean }[]>;
  spoilers: Set<string>;
  liked: Set<string>;
}
const noExtras = (): Extras => ({ lists: new Map(), spoilers: new Set(), liked: new Set() });

async function streamText(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function extrasOf(text: string): Extras {
  const extras = noExtras();
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return extras; // not ours, or damaged: the CSVs are what is imported
  }
  const arr = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null) : []);
  const film = (m: unknown): Film | undefined => {
    const o = m as { title?: unknown; year?: unknown } | null;
    return o && typeof o.title === 'string' ? { name: o.title, year: typeof o.year === 'number' ? o.year : null } : undefined;
  };
  const d = (doc ?? {}) as Record<string, unknown>;
  for (const l of arr(d.lists)) {
    if (typeof l.title === 'string') extras.lists.set(l.title, [...(extras.lists.get(l.title) ?? []), { public: l.public === true, ranked: l.ranked === true }]);
  }
  for (const r of arr(d.reviews)) {
    const f = film(r.movie);
    if (f && r.spoiler === true) extras.spoilers.add(filmKey(f));
  }
  for (const e of arr(d.diary)) {
    const f = film(e.movie);
    if (f && e.liked === true && typeof e.watched_on === 'string') extras.liked.add(`${filmKey(f)}|${e.watched_on}`);
  }
  return extras;
}

/** A folder every entry is in (an archive of a folder), which paths are read without. */
/** Folders of Letterboxd's own export: an archive of one of them alone is not an export in a folder. */
const EXPORT_FOLDERS = new Set(['lists', 'deleted', 'orphaned', 'likes']);

function commonFolder(names: string[]): string {
  const first = names[0]?.split('/')[0];
  if (first === undefined || EXPORT_FOLDERS.has(first.toLowerCase()) || names.some((n) => !n.startsWith(`${first}/`))) return '';
  return `${first}/`;
}

/**
 * Reads an uploaded file: a ZIP (Letterboxd's whole export; only the files Butaca keeps are read,
 * the others, such as `likes/` or `deleted/`, are ignored) or one CSV, whose `name` says which
 * file it is.
 */
async function readUpload(file: string, name: string | undefined): Promise<{ data: LetterboxdData; extras: Extras }> {
  const data = emptyData();
  let extras = noExtras();
  const handle = await open(file);
  const head = Buffer.alloc(4);
  let size: number;
  try {
    size = (await handle.stat()).size;
    await handle.read(head, 0, 4, 0);
  } finally {
    await handle.close();
  }
  if (size === 0) throw invalidField(['body', 'file'], 'file_empty');
  if (!looksLikeZip(head)) {
    const base = name === undefined ? undefined : path.basename(name.replaceAll('\\', '/'));
    await readCsv(createReadStream(file), base ?? 'upload.csv', base === undefined ? undefined : kindOfPath(base.toLowerCase()), data);
    return { data, extras };
  }
  const archive = await ZipArchive.open(file);
  try {
    const folder = commonFolder(archive.entries.map((e) => e.name));
    for (const entry of archive.entries) {
      const inside = entry.name.slice(folder.length);
      if (inside === 'butaca.json' && entry.size <= EXTRAS_MAX_BYTES) {
        try {
          extras = extrasOf(await streamText(await archive.open(entry)));
        } catch (err) {
          throw entryFailure(err, inside); // a damaged entry is a damaged archive, whichever it is
        }
        continue;
      }
      const kind = kindOfPath(inside);
      if (kind !== undefined) await readCsv(await archive.open(entry), inside, kind, data);
    }
  } finally {
    archive.close();
  }
  return { data, extras };
}

/**
 * The catalogue's movie for a film named in an export: the same title or original title
 * (ignoring case and accents) and the same year; failing that, a year off by one when only one
 * movie is; for a film without a year, the only movie of that title. Among several of one title
 * and year (IMDb has such pairs), the most rated.
 */
async function matchFilm(db: Db, film: Film): Promise<number | undefined> {
  const mostRated = (movies: TitleCandidate[]) => movies.sort((a, b) => b.rating_count - a.rating_count || a.id - b.id)[0]!.id;
  // Most names are spelled as the catalogue spells them: one index lookup finds those.
  if (film.year !== null) {
    const spelled = await moviesTitled(db, film.name, film.year);
    if (spelled.length > 0) return mostRated(spelled);
  }
  const years = film.year === null ? undefined : ([film.year - 1, film.year + 1] as const);
  const wanted = foldText(film.name);
  const candidates = await titleCandidates(db, film.name, years);
  // A name so common that the candidates were cut short: the one that would be "the only one" may not be.
  const complete = candidates.length < MAX_CANDIDATES;
  const same = candidates.filter(
    (c) => foldText(c.title) === wanted || (c.original_title !== null && foldText(c.original_title) === wanted),
  );
  const exact = film.year === null ? [] : same.filter((c) => c.year === film.year);
  if (exact.length > 0) return mostRated(exact);
  return same.length === 1 && complete ? same[0]!.id : undefined;
}

/** Each distinct film of the import (by its key), and the movie it matched. */
async function matchAll(db: Db, data: LetterboxdData): Promise<{ movies: Map<string, number>; unmatched: Film[] }> {
  const films = new Map<string, Film>();
  const add = (f: Film) => films.has(filmKey(f)) || films.set(filmKey(f), f);
  for (const rows of [data.diary, data.ratings, data.reviews, data.watchlist, data.watched]) for (const r of rows) add(r.film);
  for (const list of data.lists) for (const item of list.items) add(item.film);
  const movies = new Map<string, number>();
  const unmatched: Film[] = [];
  for (const [key, film] of films) {
    const id = await matchFilm(db, film);
    if (id === undefined) unmatched.push(film);
    else movies.set(key, id);
  }
  return { movies, unmatched };
}

const at = (date: string): string => `${date}T00:00:00.000Z`;

/** Movies locked a statement at a time: well under PostgreSQL's 65,535 parameters. */
const LOCK_CHUNK = 10_000;

/** The rating an import would give each movie: ratings.csv's (Letterboxd's current rating) before a viewing's, a viewing's before a review's; within a file, the latest. */
function wantedRatings(data: LetterboxdData, movies: Map<string, number>): Map<number, { halves: number; date: string }> {
  const wanted = new Map<number, { halves: number; date: string; rank: number }>();
  const offer = (film: Film, halves: number | null, date: string, rank: number) => {
    const id = movies.get(filmKey(film));
    if (id === undefined || halves === null) return;
    const had = wanted.get(id);
    if (!had || rank > had.rank || (rank === had.rank && date >= had.date)) wanted.set(id, { halves, date, rank });
  };
  for (const r of data.reviews) offer(r.film, r.halves, r.date, 0);
  for (const d of data.diary) offer(d.film, d.halves, d.watchedOn, 1);
  for (const r of data.ratings) offer(r.film, r.halves, r.date, 2);
  return wanted;
}

/**
 * Writes what the import brings that the member does not have yet, in the caller's transaction.
 * Kept as it is: a rating the member gave on or after the imported one's day, a review of the same
 * film, a viewing of the same film on the same day (as many as the diary has), a film already on
 * the watchlist or the list. So a second import of the same file finds everything there.
 */
async function applyImport(trx: Db, userId: number, data: LetterboxdData, extras: Extras, movies: Map<string, number>): Promise<Pick<ImportSummary, 'created' | 'skipped'>> {
  // The movies' rows first, in id order (PostgreSQL): two members importing the same films in
  // other orders would otherwise each hold a movie the other one waits for.
  const ids = [...new Set(movies.values())].sort((a, b) => a - b);
  for (let i = 0; i < ids.length; i += LOCK_CHUNK) await lockMovies(trx, ids.slice(i, i + LOCK_CHUNK));
  const state = await memberState(trx, userId);
  const movieOf = (film: Film) => movies.get(filmKey(film));
  const created = { diary: 0, ratings: 0, reviews: 0, watchlist: 0, lists: 0 };
  const skipped: ImportSummary['skipped'] = [];
  const ratingsSet = new Set<number>();
  const current = new Map([...state.ratings].map(([id, r]) => [id, r.halves]));

  for (const [movieId, want] of wantedRatings(data, movies)) {
    const had = state.ratings.get(movieId);
    if (had && (had.halves === want.halves || had.updated_at.slice(0, 10) >= want.date)) continue;
    await writeRating(trx, userId, movieId, want.halves);
    current.set(movieId, want.halves);
    ratingsSet.add(movieId);
  }

  // Butaca keeps one review a member and film: the latest of the file, unless there is one.
  const latestReview = new Map<number, LetterboxdData['reviews'][number]>();
  for (const r of data.reviews) {
    const id = movieOf(r.film);
    if (id === undefined || state.reviewed.has(id)) continue;
    const had = latestReview.get(id);
    if (!had || r.date >= had.date) latestReview.set(id, r);
  }
  for (const [movieId, r] of latestReview) {
    // A review is a rating with text: the member's rating of the film, else the row's own.
    const halves = current.get(movieId) ?? r.halves;
    if (halves === null) {
      skipped.push({ file: r.file, line: r.line, reason: 'review_without_rating' });
      continue;
    }
    await createReview(trx, userId, movieId, r.text, halves, extras.spoilers.has(filmKey(r.film)));
    if (!current.has(movieId)) ratingsSet.add(movieId);
    current.set(movieId, halves);
    created.reviews += 1;
  }

  const entries: ImportedEntry[] = [];
  const seen = new Map<string, number>();
  for (const d of data.diary) {
    const movieId = movieOf(d.film);
    if (movieId === undefined) continue;
    const key = viewingKey(movieId, d.watchedOn);
    const nth = (seen.get(key) ?? 0) + 1;
    seen.set(key, nth);
    if (nth <= (state.viewings.get(key) ?? 0)) continue; // the diary has this viewing already
    const liked = extras.liked.has(`${filmKey(d.film)}|${d.watchedOn}`);
    entries.push({ movieId, watchedOn: d.watchedOn, rewatch: d.rewatch, halves: d.halves, liked, tags: d.tags, loggedAt: at(d.logged) });
  }
  await insertImportedEntries(trx, userId, entries);
  created.diary = entries.length;

  const wanted = new Set<number>();
  const watchlist: { movieId: number; addedAt: string }[] = [];
  for (const w of data.watchlist) {
    const movieId = movieOf(w.film);
    if (movieId === undefined || state.watchlist.has(movieId) || wanted.has(movieId)) continue;
    wanted.add(movieId);
    watchlist.push({ movieId, addedAt: at(w.date) });
  }
  created.watchlist = await insertImportedWatchlist(trx, userId, watchlist);

  // The n-th list of a title in the upload is the member's n-th list of that title, if they have one.
  const nth = new Map<string, number>();
  for (const list of data.lists) {
    const n = nth.get(list.title) ?? 0;
    nth.set(list.title, n + 1);
    let target = state.lists.get(list.title)?.[n];
    if (target === undefined) {
      // Letterboxd's format does not say whether a list is public: one imported from there is private until its owner says otherwise.
      const flags = extras.lists.get(list.title)?.[n] ?? { public: false, ranked: false };
      const made = await createList(trx, userId, { title: list.title, description: list.description, ...flags });
      target = { id: made.id, movies: new Set() };
      created.lists += 1;
    }
    for (const item of [...list.items].sort((a, b) => a.position - b.position)) {
      const movieId = movieOf(item.film);
      if (movieId === undefined || target.movies.has(movieId)) continue;
      await putItem(trx, target.id, movieId, undefined, item.note);
      target.movies.add(movieId);
    }
  }
  created.ratings = ratingsSet.size;
  return { created, skipped };
}

/**
 * Imports a Letterboxd export (a ZIP, or one of its CSV files, at `file` on disk) into the
 * member's account. Every file is read and checked before anything is written (a bad value is a
 * 422 naming its file and line), the films are matched to the catalogue, and then everything is
 * written in one transaction: all of it, or on any failure nothing.
 */
export function importLetterboxd(db: Db, userId: number, file: string, name?: string): Promise<ImportSummary> {
  return oneAtATime(async () => {
    const { data, extras } = await readUpload(file, name);
    const { movies, unmatched } = await matchAll(db, data);
    const written = await asHistory(() => inTransaction(db, (trx) => applyImport(trx, userId, data, extras, movies)));
    return {
      matched: new Set(movies.values()).size,
      unmatched: unmatched.map((f) => ({ name: f.name, year: f.year })),
      ...written,
    };
  });
}

let running: Promise<unknown> = Promise.resolve();

/**
 * One import at a time in a process, the others waiting their turn: an import holds its rows in
 * memory until it writes them (up to MAX_IMPORT_ROWS, a few hundred MiB at worst), and the
 * throttle of one a minute is per member, so many members importing at once would add up.
 */
function oneAtATime<T>(work: () => Promise<T>): Promise<T> {
  const turn = running.then(work, work);
  running = turn.catch(() => {});
  return turn;
}

// ---------------------------------------------------------------------------------------------
// Export

/** Rows read page by page: `page(after)` gives the rows after a key, `key(row)` a row's key. */
async function* paged<T, K = number>(page: (after: K | undefined) => Promise<T[]>, key: (row: T) => K): AsyncGenerator<T> {
  let after: K | undefined;
  for (;;) {
    const rows = await page(after);
    yield* rows;
    if (rows.length < EXPORT_PAGE) return;
    after = key(rows.at(-1)!);
  }
}

type DiaryPageRow = Awaited<ReturnType<typeof diaryPage>>[number];
const diaryRows = (db: Db, userId: number) => paged<DiaryPageRow, readonly [string, number]>((a) => diaryPage(db, userId, a), (r) => [r.watched_on, r.id]);

const day = (iso: string): string => iso.slice(0, 10);
const yearText = (year: number | null): string => (year === null ? '' : String(year));

/** A file name for a list inside the archive: its title without the characters file systems refuse, unique ignoring case. */
function listFileNames(titles: string[]): string[] {
  const used = new Set<string>();
  return titles.map((title) => {
    const cleaned = title.replace(/[\p{Cc}/\\:*?"<>|]/gu, '-').replace(/^[.\s]+|[.\s]+$/gu, '');
    const base = Array.from(cleaned).slice(0, 100).join('') || 'list'; // by code points: never half a surrogate pair
    let name = base;
    for (let n = 2; used.has(name.toLowerCase()); n++) name = `${base} (${n})`;
    used.add(name.toLowerCase());
    return `lists/${name}.csv`;
  });
}

/**
 * Text in pieces of at least 64 KiB: each piece handed to the archive is one call into zlib (on its
 * thread pool), so a piece a row made the export of a 10,000-entry diary five times slower.
 */
async function* coalesced(parts: AsyncIterable<string>, size = 64 * 1024): AsyncGenerator<string> {
  let text = '';
  for await (const part of parts) {
    text += part;
    if (text.length >= size) {
      yield text;
      text = '';
    }
  }
  if (text !== '') yield text;
}

/** A CSV file's text: its header, then the rows a page at a time. */
async function* csvText(columns: readonly string[], rows: AsyncIterable<string[]>): AsyncGenerator<string> {
  yield stringify([[...columns]]);
  let batch: string[][] = [];
  for await (const row of rows) {
    batch.push(row);
    if (batch.length === EXPORT_PAGE) {
      yield stringify(batch);
      batch = [];
    }
  }
  if (batch.length > 0) yield stringify(batch);
}

/** Adds an entry made from `text` when the archive comes to it (so only the file being written is being read). */
function addText(zip: yazl.ZipFile, name: string, text: () => AsyncIterable<string>, mtime: Date): void {
  zip.addReadStreamLazy(name, { mtime }, (cb) => {
    const stream = Readable.from(coalesced(text()));
    stream.once('error', (err) => (zip.outputStream as Readable).destroy(err));
    cb(null, stream);
  });
}

function addCsv(zip: yazl.ZipFile, name: string, columns: readonly string[], rows: () => AsyncIterable<string[]>, mtime: Date): void {
  addText(zip, name, () => csvText(columns, rows()), mtime);
}

/** A list's file: the layout of Letterboxd's list export (community.md), written line by line. */
function addList(zip: yazl.ZipFile, db: Db, name: string, list: Awaited<ReturnType<typeof listsOf>>[number], mtime: Date): void {
  addText(
    zip,
    name,
    async function* () {
      yield `${LIST_FORMAT}\n`;
      yield stringify([[...LIST_COLUMNS], [day(list.created_at), list.title, '', '', list.description ?? '']]);
      yield '\n';
      const items = (await listItemsOf(db, list.id)).map((item, i) => [String(i + 1), item.title, yearText(item.year), '', item.note ?? '']);
      yield stringify([[...LIST_ITEM_COLUMNS], ...items]);
    },
    mtime,
  );
}

/** butaca.json, written as it is read: an object of arrays, each array page by page. */
async function* butacaJson(db: Db, user: User, lists: Awaited<ReturnType<typeof listsOf>>): AsyncGenerator<string> {
  const movie = (r: { movie_id: number; title: string; year: number | null }) => ({ id: r.movie_id, title: r.title, year: r.year });
  yield `{"format":"butaca-export","version":1,"exported_at":${JSON.stringify(new Date().toISOString())},"profile":${JSON.stringify(user)}`;
  async function* array<T>(name: string, rows: AsyncIterable<T>, shape: (row: T) => unknown): AsyncGenerator<string> {
    yield `,${JSON.stringify(name)}:[`;
    let first = true;
    for await (const row of rows) {
      yield (first ? '' : ',') + JSON.stringify(shape(row));
      first = false;
    }
    yield ']';
  }
  yield* array('diary', diaryRows(db, user.id), (r) => ({
    id: r.id,
    movie: movie(r),
    watched_on: r.watched_on,
    rewatch: r.rewatch === 1,
    rating: r.halves === null ? null : r.halves / 2,
    liked: r.liked === 1,
    tags: JSON.parse(r.tags) as string[],
    created_at: r.created_at,
  }));
  yield* array('ratings', paged((a) => ratingsPage(db, user.id, a ?? 0), (r) => r.movie_id), (r) => ({ movie: movie(r), rating: r.halves / 2, created_at: r.created_at, updated_at: r.updated_at }));
  yield* array('reviews', paged((a) => reviewsPage(db, user.id, a ?? 0), (r) => r.id), (r) => ({
    id: r.id,
    movie: movie(r),
    review: r.review,
    rating: r.halves / 2,
    score: r.score,
    spoiler: r.spoiler === 1,
    like_count: r.like_count,
    comment_count: r.comment_count,
    created_at: r.created_at,
    updated_at: r.updated_at,
  }));
  yield* array('watchlist', paged((a) => watchlistPage(db, user.id, a ?? 0), (r) => r.id), (r) => ({ movie: movie(r), added_at: r.added_at }));
  yield ',"lists":[';
  for (const [i, l] of lists.entries()) {
    const items = (await listItemsOf(db, l.id)).map((item, n) => ({ position: n + 1, movie: movie(item), note: item.note, added_at: item.added_at }));
    yield (i === 0 ? '' : ',') + JSON.stringify({ id: l.id, title: l.title, description: l.description, ranked: l.ranked === 1, public: l.public === 1, created_at: l.created_at, updated_at: l.updated_at, items });
  }
  yield ']';
  const follow = (r: { user_id: number; username: string; created_at: string }) => ({ user_id: r.user_id, username: r.username, since: r.created_at });
  yield* array('following', paged((a) => followsPage(db, user.id, 'following', a ?? 0), (r) => r.id), follow);
  yield* array('followers', paged((a) => followsPage(db, user.id, 'followers', a ?? 0), (r) => r.id), follow);
  yield* array('comments', paged((a) => commentsPage(db, user.id, a ?? 0), (r) => r.id), (r) => r);
  yield* array('likes', paged((a) => likesPage(db, user.id, a ?? 0), (r) => r.id), (r) => ({ review_id: r.review_id, created_at: r.created_at }));
  yield '}\n';
}

/**
 * The member's data as a ZIP, made as it is sent: Letterboxd's CSVs (so any site that imports a
 * Letterboxd export takes it) and butaca.json with everything. Each file is read page by page when
 * the archive reaches it, with no transaction open: a slow download holds nothing in the database,
 * and memory holds a page, whatever the size of the diary.
 */
export async function exportMember(db: Db, user: User): Promise<Readable> {
  const zip = new yazl.ZipFile();
  const mtime = new Date();
  const lists = await listsOf(db, user.id);
  addCsv(zip, 'diary.csv', COLUMNS.diary, async function* () {
    for await (const r of diaryRows(db, user.id)) {
      const tags = (JSON.parse(r.tags) as string[]).join(', ');
      yield [day(r.created_at), r.title, yearText(r.year), '', ratingText(r.halves), r.rewatch === 1 ? 'Yes' : '', tags, r.watched_on];
    }
  }, mtime);
  addCsv(zip, 'ratings.csv', COLUMNS.ratings, async function* () {
    for await (const r of paged((a) => ratingsPage(db, user.id, a ?? 0), (r) => r.movie_id)) yield [day(r.updated_at), r.title, yearText(r.year), '', ratingText(r.halves)];
  }, mtime);
  addCsv(zip, 'reviews.csv', COLUMNS.reviews, async function* () {
    for await (const r of paged((a) => reviewsPage(db, user.id, a ?? 0), (r) => r.id)) yield [day(r.created_at), r.title, yearText(r.year), '', ratingText(r.halves), '', r.review, '', ''];
  }, mtime);
  addCsv(zip, 'watchlist.csv', COLUMNS.watchlist, async function* () {
    for await (const r of paged((a) => watchlistPage(db, user.id, a ?? 0), (r) => r.id)) yield [day(r.added_at), r.title, yearText(r.year), ''];
  }, mtime);
  const names = listFileNames(lists.map((l) => l.title));
  for (const [i, list] of lists.entries()) addList(zip, db, names[i]!, list, mtime);
  addText(zip, 'butaca.json', () => butacaJson(db, user, lists), mtime);
  zip.end();
  return zip.outputStream as Readable;
}

