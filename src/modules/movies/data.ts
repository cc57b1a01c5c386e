import { type Insertable, type SqlBool, sql } from 'kysely';
import type { Db } from '../../db/connect.js';
import { locksRows } from '../../db/locks.js';
import { nowIso } from '../../db/time.js';
import { isUniqueViolation } from '../../db/errors.js';
import type { MoviesTable } from '../../db/schema.js';
import { DomainError } from '../../domain/errors.js';
import { type Page, scanPlan } from '../../http/pagination.js';
import { idSlots, idValues, prepared } from '../../db/prepared.js';
import { rowCount } from '../../db/row-counts.js';
import type { Dependency } from '../../db/write-journal.js';
import type { MovieFields, MovieSort } from './schemas.js';
import { PRIOR_MEAN, PRIOR_WEIGHT } from '../../domain/ratings.js';
import type { Genre } from '../../domain/enums.js';
import { nameKey, searchWords } from '../../domain/text.js';
import { type FullText, type Tier, type TierReader, inTier, indexReader, matchText, tieredPage } from '../../db/fulltext.js';
import { inTransaction } from '../../db/transaction.js';

type Tx = Db; // a transaction has the same query API
type MoviesInsert = Insertable<MoviesTable>;

/** movies.hist_1 … hist_10: the ratings of 1 … 10 half stars. */
export const HISTOGRAM_COLUMNS = [
  'movies.hist_1',
  'movies.hist_2',
  'movies.hist_3',
  'movies.hist_4',
  'movies.hist_5',
  'movies.hist_6',
  'movies.hist_7',
  'movies.hist_8',
  'movies.hist_9',
  'movies.hist_10',
] as const satisfies readonly `movies.hist_${number}`[];

/** Movies with the versions of their media: two primary-key lookups per movie, no more. */
export function selectMovies(db: Db) {
  return db
    .selectFrom('movies')
    .leftJoin('media as poster', (join) => join.onRef('poster.movie_id', '=', 'movies.id').on('poster.kind', '=', 'poster'))
    .leftJoin('media as trailer', (join) => join.onRef('trailer.movie_id', '=', 'movies.id').on('trailer.kind', '=', 'trailer'))
    .select([
      'movies.id',
      'movies.title',
      'movies.year',
      'movies.synopsis',
      'movies.original_title',
      'movies.directors',
      'movies.genres',
      'movies.runtime',
      'movies.imdb_id',
      'movies.review_count',
      'movies.rating_count',
      'movies.rating_sum',
      ...HISTOGRAM_COLUMNS,
      'movies.created_at',
      'movies.updated_at',
      'poster.version as poster_version',
      'trailer.version as trailer_version',
    ]);
}

/** A movie as stored, with the content versions of its current poster and trailer (null when none), for their URLs. */
export type MovieRow = Awaited<ReturnType<ReturnType<typeof selectMovies>['executeTakeFirstOrThrow']>>;

/**
 * The unique indexes decide between two writers: the IMDb id's (`imdb_id_exists`), or the
 * title+year rule's for movies without one (`movie_exists`).
 */
async function orConflict<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    // SQLite names the column in its message, PostgreSQL the index in `constraint`.
    const e = err as { message?: unknown; constraint?: unknown };
    throw new DomainError(/imdb_id/.test(`${String(e.constraint)} ${String(e.message)}`) ? 'imdb_id_exists' : 'movie_exists');
  }
}

const SORT_COLUMN = {
  id: 'movies.id',
  title: 'movies.title_key',
  year: 'movies.year',
  rating: 'movies.weighted_rating',
  reviews: 'movies.review_count',
  created: 'movies.created_at',
} as const satisfies Record<MovieSort, `movies.${keyof MoviesTable}`>;

/** The movies' full-text search: titles first, then directors, then the synopsis (migration 0009). */
export const MOVIES_FULL_TEXT: FullText = {
  fts: 'movies_fts',
  table: 'movies',
  tiers: [
    { columns: ['title', 'original_title'], weight: 'A' },
    { columns: ['directors'], weight: 'B' },
    { columns: ['synopsis'], weight: 'C' },
  ],
};

/**
 * What a movie as the API shows it is read from (selectMovies): its row, and the media table
 * (its poster's and trailer's versions). The read cache keeps such an answer through writes to
 * other rows (src/db/write-journal.ts).
 */
/** The tables `movieDependencies` names, journaled for the read cache. */
export const MOVIE_TABLES = ['movies', 'media'] as const;
export function movieDependencies(movies: readonly { id: number }[]): Dependency[] {
  return ['media', ...movies.map((m): Dependency => `movies#${m.id}`)];
}

/**
 * What a page of the list depends on: in id order without a filter, its movies and which movies
 * there are (the page's rows, X-Total-Count and Link move only when one is added or deleted);
 * any other order or filter may be moved by any write to a movie (a rating, a title), so
 * everything (undefined).
 */
export function movieListDependencies(opts: { q?: string | undefined; sort?: MovieSort | undefined; filtered: boolean }, movies: readonly { id: number }[]): Dependency[] | undefined {
  if (opts.q !== undefined || opts.filtered || (opts.sort !== undefined && opts.sort !== 'id')) return undefined;
  return ['movies+', ...movieDependencies(movies)];
}

/** What the movie list is narrowed to; each filter walks an index (test/query-plans.test.ts). */
export interface MovieFilters {
  q?: string | undefined;
  genre?: Genre | undefined;
  /** The first year of a decade: 1990 for 1990–1999. */
  decade?: number | undefined;
  year?: number | undefined;
  director?: string | undefined;
}

export interface MovieListOptions extends Page, MovieFilters {
  /** Undefined with `q`: best match first. */
  sort: MovieSort | undefined;
  order: 'asc' | 'desc';
}

/** Which filters a query has: its shape, each compiled once. `search` is the match (src/db/fulltext.ts): none (''), every word anywhere ('all'), or one tier ('0', '1', '2'). */
interface FilterShape extends Record<string, string | boolean> {
  search: string;
  genre: boolean;
  decade: boolean;
  year: boolean;
  director: boolean;
}

// Flat: each property is one placeholder of a prepared query (src/db/prepared.ts).
type FilterValues = {
  text: string;
  genre: string;
  from: number;
  to: number;
  year: number;
  director: string;
};

const tierOf = (search: string): Tier => (search === 'all' ? 'all' : Number(search));
const hasFilter = (shape: FilterShape): boolean => shape.genre || shape.director || shape.decade || shape.year;

// Typed loosely: the same filters apply to the count's query and to the page's.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function filtered<Q extends { where: (...args: any[]) => Q }>(db: Db, query: Q, shape: FilterShape, v: FilterValues): Q {
  let q = query;
  if (shape.search !== '') q = q.where(inTier(locksRows(db), MOVIES_FULL_TEXT, 'movies.id', v.text, tierOf(shape.search)));
  if (shape.genre) q = q.where(sql<SqlBool>`movies.id in (select movie_id from movie_genres where genre = ${v.genre})`);
  if (shape.director) q = q.where(sql<SqlBool>`movies.id in (select movie_id from movie_directors where name_key = ${v.director})`);
  if (shape.decade) q = q.where(sql<SqlBool>`movies.year >= ${v.from} and movies.year < ${v.to}`);
  if (shape.year) q = q.where(sql<SqlBool>`movies.year = ${v.year}`);
  return q;
}

const filteredMovieCount = prepared((db, shape: FilterShape, v: FilterValues) =>
  filtered(db, db.selectFrom('movies').select((eb) => eb.fn.countAll<number>().as('n')), shape, v),
);

interface ListShape extends FilterShape {
  sort: MovieSort;
  order: 'asc' | 'desc';
  /** Read from the far end, in the opposite order (src/http/pagination.ts); year order puts movies without one last, so read backwards they come first. */
  reverse: boolean;
}

/** A list query put in the shape's order (the same for a page of rows and a page of ids). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function ordered<Q extends { orderBy: (...args: any[]) => Q }>(query: Q, shape: ListShape): Q {
  const column = SORT_COLUMN[shape.sort];
  let q =
    column === 'movies.year'
      ? query.orderBy('movies.year', (ob: { asc: () => { nullsFirst: () => unknown; nullsLast: () => unknown }; desc: () => { nullsFirst: () => unknown; nullsLast: () => unknown } }) => {
          const directed = shape.order === 'asc' ? ob.asc() : ob.desc();
          return shape.reverse ? directed.nullsFirst() : directed.nullsLast();
        })
      : query.orderBy(column, shape.order);
  if (column !== 'movies.id') q = q.orderBy('movies.id', shape.order);
  return q;
}

/** A page of the whole catalogue: an index walked in order, each movie joined to its media as it comes, stopping at the page's end. */
const moviePage = prepared((db, shape: ListShape, v: FilterValues & { limit: number; offset: number }) => ordered(selectMovies(db), shape).limit(v.limit).offset(v.offset));

/**
 * A page of a filtered list, as ids: the matches may need sorting (a genre's movies by rating),
 * and sorting ids alone costs far less than sorting whole rows joined to their media, which are
 * then read for the page's movies only.
 */
const filteredPageIds = prepared((db, shape: ListShape, v: FilterValues & { limit: number; offset: number }) =>
  ordered(filtered(db, db.selectFrom('movies').select('movies.id'), shape, v), shape).limit(v.limit).offset(v.offset),
);

/** These movies' rows, in the order of `ids`. */
async function rowsInOrder(db: Db, ids: number[]): Promise<MovieRow[]> {
  const byId = new Map((await findMovieRows(db, ids)).map((r) => [r.id, r]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/**
 * A search in rank order, as a tier reader (src/db/fulltext.ts): from the full-text index alone
 * when there is no other filter, else through the movies with the filters, each tier in id order.
 */
function movieTiers(db: Db, words: readonly string[], filters: FilterShape, v: FilterValues): TierReader {
  if (!hasFilter(filters)) return indexReader(db, MOVIES_FULL_TEXT, words);
  const postgres = locksRows(db);
  const shapeOf = (tier: Tier): FilterShape => ({ ...filters, search: String(tier) });
  return {
    count: async (tier) => Number((await filteredMovieCount(db, shapeOf(tier), { ...v, text: matchText(postgres, MOVIES_FULL_TEXT, words, tier) }))[0]!.n),
    ids: async (tier, limit, offset) =>
      (await filteredPageIds(db, { ...shapeOf(tier), sort: 'id', order: 'asc', reverse: false }, { ...v, text: matchText(postgres, MOVIES_FULL_TEXT, words, tier), limit, offset })).map((r) => r.id),
  };
}

export async function listMovies(db: Db, opts: MovieListOptions): Promise<{ rows: MovieRow[]; total: number }> {
  const words = opts.q === undefined ? [] : searchWords(opts.q);
  // A search of punctuation alone has no word to find: nothing matches.
  if (opts.q !== undefined && words.length === 0) return { rows: [], total: 0 };
  const postgres = locksRows(db);
  const filters: FilterShape = {
    search: words.length > 0 ? 'all' : '',
    genre: opts.genre !== undefined,
    decade: opts.decade !== undefined,
    year: opts.year !== undefined,
    director: opts.director !== undefined,
  };
  const values: FilterValues = {
    text: words.length > 0 ? matchText(postgres, MOVIES_FULL_TEXT, words, 'all') : '',
    genre: opts.genre ?? '',
    from: opts.decade ?? 0,
    to: (opts.decade ?? 0) + 10,
    year: opts.year ?? 0,
    director: nameKey(opts.director ?? ''),
  };
  if (words.length > 0 && opts.sort === undefined) {
    // Best match first: tier after tier, each in id order (src/db/fulltext.ts).
    const tiers = movieTiers(db, words, filters, values);
    const offset = (opts.page - 1) * opts.limit;
    const ids = await tieredPage(tiers, MOVIES_FULL_TEXT.tiers.length, opts.limit, offset);
    // A first page that is not full holds every match: no need to count them again.
    const total = offset === 0 && ids.length < opts.limit ? ids.length : await tiers.count('all');
    return { rows: await rowsInOrder(db, ids), total };
  }
  const unfiltered = filters.search === '' && !hasFilter(filters);
  const total = unfiltered
    ? await rowCount(db, 'movies')
    : filters.search !== '' && !hasFilter(filters)
      ? await indexReader(db, MOVIES_FULL_TEXT, words).count('all')
      : Number((await filteredMovieCount(db, filters, values))[0]!.n);
  const plan = scanPlan(opts, total);
  if (plan === undefined) return { rows: [], total };
  const order = plan.reverse ? (opts.order === 'asc' ? 'desc' : 'asc') : opts.order;
  const shape: ListShape = { ...filters, sort: opts.sort ?? 'id', order, reverse: plan.reverse };
  const page = { ...values, limit: plan.limit, offset: plan.offset };
  const rows = unfiltered ? await moviePage(db, shape, page) : await rowsInOrder(db, (await filteredPageIds(db, shape, page)).map((r) => r.id));
  return { rows: plan.reverse ? rows.reverse() : rows, total };
}

/** The movies that match every word, best first (as the movie list's `q` without `sort`), at most `limit`. */
export async function searchMovies(db: Db, words: readonly string[], limit: number): Promise<MovieRow[]> {
  const ids = await tieredPage(indexReader(db, MOVIES_FULL_TEXT, words), MOVIES_FULL_TEXT.tiers.length, limit, 0);
  return rowsInOrder(db, ids);
}

const movieById = prepared((db, _shape: 'by id', v: { id: number }) => selectMovies(db).where('movies.id', '=', v.id));

export async function findMovie(db: Db, id: number): Promise<MovieRow | undefined> {
  return (await movieById(db, 'by id', { id }))[0];
}

const movieIdById = prepared((db, _shape: 'by id', v: { id: number }) => db.selectFrom('movies').select('id').where('id', '=', v.id));

const moviesByIds = prepared((db, n: number, v: Record<string, number>) => selectMovies(db).where('movies.id', 'in', idSlots(v, n)));

/** These movies' rows (those that no longer exist left out). */
export async function findMovieRows(db: Db, ids: number[]): Promise<MovieRow[]> {
  if (ids.length === 0) return [];
  const wanted = [...new Set(ids)];
  return moviesByIds(db, wanted.length, idValues(wanted));
}

export async function movieExists(db: Db, id: number): Promise<boolean> {
  return (await movieIdById(db, 'by id', { id })).length > 0;
}

/** The director filter's keys of these names: each once, whatever its case or accents. */
const directorKeys = (names: readonly string[]): string[] => [...new Set(names.map(nameKey))];

/** A movie's columns for these fields: the arrays as JSON, the title's key. */
function movieColumns(fields: Partial<MovieFields>): Record<string, unknown> {
  const { directors, genres, ...rest } = fields;
  return {
    ...rest,
    ...(fields.title === undefined ? {} : { title_key: fields.title.toLowerCase() }),
    ...(directors === undefined ? {} : { directors: JSON.stringify(directors) }),
    ...(genres === undefined ? {} : { genres: JSON.stringify(genres) }),
  };
}

/** Rewrites the filter rows of a movie's directors or genres (those given), inside the caller's transaction. */
async function writeFilterRows(trx: Tx, movieId: number, fields: { directors?: readonly string[] | undefined; genres?: readonly Genre[] | undefined }, fresh: boolean): Promise<void> {
  if (fields.directors !== undefined) {
    if (!fresh) await trx.deleteFrom('movie_directors').where('movie_id', '=', movieId).execute();
    const keys = directorKeys(fields.directors);
    if (keys.length > 0) await trx.insertInto('movie_directors').values(keys.map((name_key) => ({ name_key, movie_id: movieId }))).execute();
  }
  if (fields.genres !== undefined) {
    if (!fresh) await trx.deleteFrom('movie_genres').where('movie_id', '=', movieId).execute();
    if (fields.genres.length > 0) await trx.insertInto('movie_genres').values(fields.genres.map((genre) => ({ genre, movie_id: movieId }))).execute();
  }
}

const sameTitleAndYear = prepared((db, _shape: 'twin', v: { titleKey: string; year: number; id: number }) =>
  db
    .selectFrom('movies')
    .select('id')
    .where('title_key', '=', v.titleKey)
    .where(sql<SqlBool>`coalesce(year, 0) = ${v.year}`)
    .where('id', '<>', v.id)
    .limit(1),
);

/**
 * The title-and-year rule for a movie without an IMDb id: no other movie, with an id or without,
 * may have its title (ignoring case) and year. The unique index decides between two movies without
 * one written at once; this check also covers a film already imported with its IMDb id.
 */
async function refuseTwin(trx: Tx, title: string, year: number | null, imdbId: string | null, id = 0): Promise<void> {
  if (imdbId !== null) return;
  if ((await sameTitleAndYear(trx, 'twin', { titleKey: title.toLowerCase(), year: year ?? 0, id })).length > 0) throw new DomainError('movie_exists');
}

export async function insertMovie(db: Db, fields: MovieFields): Promise<MovieRow> {
  const now = nowIso();
  return inTransaction(db, async (trx) => {
    await refuseTwin(trx, fields.title, fields.year, fields.imdb_id);
    const row = await orConflict(() =>
      trx
        .insertInto('movies')
        .values({ ...(movieColumns(fields) as MoviesInsert), created_at: now, updated_at: now })
        .returning('id')
        .executeTakeFirstOrThrow(),
    );
    await writeFilterRows(trx, row.id, fields, true);
    return (await findMovie(trx, row.id))!;
  });
}

/** Whether a field's new value differs from the stored one (the arrays are stored as JSON). */
function differs(current: MovieRow, key: keyof MovieFields, value: unknown): boolean {
  if (key === 'directors' || key === 'genres') return JSON.stringify(value) !== current[key];
  return value !== current[key];
}

/**
 * Changes the fields that differ from what is stored, and only then moves `updated_at`: a PATCH of
 * `{}`, or a PUT of what is already there, changes nothing and says so by its unchanged timestamp.
 */
export async function updateMovie(db: Db, id: number, fields: Partial<MovieFields>): Promise<MovieRow | undefined> {
  return inTransaction(db, async (trx) => {
    const current = await findMovie(trx, id);
    if (!current) return undefined;
    const changed = (Object.keys(fields) as (keyof MovieFields)[]).filter((k) => fields[k] !== undefined && differs(current, k, fields[k]));
    if (changed.length === 0) return current;
    const changes = Object.fromEntries(changed.map((k) => [k, fields[k]])) as Partial<MovieFields>;
    if (changes.title !== undefined || changes.year !== undefined || changes.imdb_id !== undefined) {
      await refuseTwin(trx, fields.title ?? current.title, fields.year === undefined ? current.year : fields.year, fields.imdb_id === undefined ? current.imdb_id : fields.imdb_id, id);
    }
    await orConflict(() => trx.updateTable('movies').set({ ...movieColumns(changes), updated_at: nowIso() }).where('id', '=', id).execute());
    await writeFilterRows(trx, id, changes, false);
    return findMovie(trx, id);
  });
}

/** Deletes a movie; the cascade takes its reviews and media rows. */
export async function deleteMovieRow(db: Db, id: number): Promise<boolean> {
  const result = await db.deleteFrom('movies').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/**
 * Moves a movie's review count by one, inside the caller's transaction. Relative updates
 * (`count + n`) stay exact under concurrent writers: each one re-reads the row under its lock
 * rather than writing back a value computed from an older snapshot.
 */
const reviewCountUpdate = prepared((db, _shape: 'adjust', v: { movieId: number; delta: number }) =>
  db
    .updateTable('movies')
    .set({ review_count: sql<number>`review_count + ${v.delta}` })
    .where('id', '=', v.movieId),
);

export async function adjustReviewCount(trx: Tx, movieId: number, delta: number): Promise<void> {
  await reviewCountUpdate(trx, 'adjust', { movieId, delta });
}

/** One member's rating of a movie changing: from `from` half stars to `to` (null: none). */
export interface RatingChange {
  from: number | null;
  to: number | null;
}

/**
 * Moves a movie's rating aggregates (count, sum, histogram, weighted average) by one member's
 * change, in one relative UPDATE inside the caller's transaction: every SET reads the row as it
 * was, under the row's lock, so concurrent raters add up exactly. The histogram buckets touched
 * decide the statement's shape (at most 11 × 11, each compiled once).
 */
// Typed as one of them: the type checker needs a literal key, the value is checked by the shape.
const bucket = (halves: number) => `hist_${halves}` as 'hist_1';

const ratingsUpdate = prepared((db, shape: { from: number; to: number }, v: { movieId: number; count: number; sum: number }) => {
  const count = sql<number>`rating_count + ${v.count}`;
  const total = sql<number>`rating_sum + ${v.sum}`;
  let query = db
    .updateTable('movies')
    .set({
      rating_count: count,
      rating_sum: total,
      weighted_rating: sql<number>`case when ${count} = 0 then 0 else ((${total}) / 2.0 + ${PRIOR_WEIGHT * PRIOR_MEAN}) / (${count} + ${PRIOR_WEIGHT}) end`,
    })
    .where('id', '=', v.movieId);
  if (shape.from !== shape.to) {
    if (shape.from > 0) query = query.set({ [bucket(shape.from)]: sql<number>`${sql.ref(bucket(shape.from))} - 1` });
    if (shape.to > 0) query = query.set({ [bucket(shape.to)]: sql<number>`${sql.ref(bucket(shape.to))} + 1` });
  }
  return query;
});

export async function adjustRatings(trx: Tx, movieId: number, change: RatingChange): Promise<void> {
  if (change.from === change.to) return;
  const count = (change.to === null ? 0 : 1) - (change.from === null ? 0 : 1);
  const sum = (change.to ?? 0) - (change.from ?? 0);
  await ratingsUpdate(trx, { from: change.from ?? 0, to: change.to ?? 0 }, { movieId, count, sum });
}

/**
 * Locks these movies' rows (PostgreSQL), in id order, for a write that will change their
 * aggregates after it has deleted reviews: a review's deletion also moves the reviews' row count
 * (a shard of row_counts, by trigger), and a new review takes the movie's row before that shard.
 * Taking the movies first here keeps that one order, so the two cannot deadlock.
 */
export async function lockMovies(trx: Tx, ids: number[]): Promise<void> {
  if (!locksRows(trx) || ids.length === 0) return;
  await trx
    .selectFrom('movies')
    .select('id')
    .where('id', 'in', [...new Set(ids)])
    .orderBy('id')
    .forNoKeyUpdate()
    .execute();
}

/** A movie as a film named elsewhere may be: the fields a match compares. */
export interface TitleCandidate {
  id: number;
  title: string;
  original_title: string | null;
  year: number | null;
  rating_count: number;
}

/** The most candidates one name yields; "It" matches thousands of titles' prefixes, a year range few of them. */
export const MAX_CANDIDATES = 1000;

const titledIn = prepared((db, _shape: 'titled', v: { titleKey: string; year: number }) =>
  db.selectFrom('movies').select(['id', 'title', 'original_title', 'year', 'rating_count']).where('title_key', '=', v.titleKey).where('year', '=', v.year),
);

/** The movies of exactly this title (ignoring case only) and year: a walk of the title index. */
export async function moviesTitled(db: Db, title: string, year: number): Promise<TitleCandidate[]> {
  return titledIn(db, 'titled', { titleKey: title.toLowerCase(), year });
}

/**
 * The movies whose title or original title holds every word of `title` (as word prefixes,
 * ignoring case and accents: the search's own index, its first tier), with a year in `years` when
 * given; the caller compares the whole titles. A title without letters or digits is looked up by
 * its lower-cased form instead.
 */
export async function titleCandidates(db: Db, title: string, years: readonly [number, number] | undefined): Promise<TitleCandidate[]> {
  const words = searchWords(title);
  const postgres = locksRows(db);
  return db
    .selectFrom('movies')
    .select(['id', 'title', 'original_title', 'year', 'rating_count'])
    .$if(words.length > 0, (qb) => qb.where(inTier(postgres, MOVIES_FULL_TEXT, 'movies.id', matchText(postgres, MOVIES_FULL_TEXT, words, 0), 0)))
    .$if(words.length === 0, (qb) => qb.where('title_key', '=', title.toLowerCase()))
    .$if(years !== undefined, (qb) => qb.where('year', '>=', years![0]).where('year', '<=', years![1]))
    .orderBy('id')
    .limit(MAX_CANDIDATES)
    .execute();
}
