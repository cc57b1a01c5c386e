import { type SqlBool, sql } from 'kysely';
import type { Db } from '../../db/connect.js';
import { locksRows } from '../../db/locks.js';
import { nowIso } from '../../db/time.js';
import { isUniqueViolation } from '../../db/errors.js';
import type { MoviesTable } from '../../db/schema.js';
import { DomainError } from '../../domain/errors.js';
import { type Page, scanPlan } from '../../http/pagination.js';
import { idSlots, idValues, prepared } from '../../db/prepared.js';
import { rowCount } from '../../db/row-counts.js';
import type { MovieFields, MovieSort } from './schemas.js';
import { PRIOR_MEAN, PRIOR_WEIGHT } from '../../domain/ratings.js';

type Tx = Db; // a transaction has the same query API

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

/** The title+year rule (a unique index) decides between two writers; a clash is `movie_exists`. */
async function orConflict<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isUniqueViolation(err)) throw new DomainError('movie_exists');
    throw err;
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

/** `LIKE` pattern for a substring, with the user's own % and _ taken literally. */
function containsPattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export interface MovieListOptions extends Page {
  q?: string | undefined;
  sort: MovieSort;
  order: 'asc' | 'desc';
}

const searchedMovieCount = prepared((db, _shape: 'search', v: { pattern: string }) =>
  db
    .selectFrom('movies')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where(sql<SqlBool>`title_key like ${v.pattern} escape '\\'`),
);

interface ListShape extends Record<string, string | boolean> {
  sort: MovieSort;
  order: 'asc' | 'desc';
  /** Year order puts movies without one last; read backwards they come first. */
  reverse: boolean;
  search: boolean;
}

const moviePage = prepared((db, shape: ListShape, v: { pattern: string; limit: number; offset: number }) => {
  const column = SORT_COLUMN[shape.sort];
  let query = selectMovies(db).$if(shape.search, (qb) => qb.where(sql<SqlBool>`title_key like ${v.pattern} escape '\\'`));
  query =
    column === 'movies.year'
      ? query.orderBy('movies.year', (ob) => {
          const directed = shape.order === 'asc' ? ob.asc() : ob.desc();
          return shape.reverse ? directed.nullsFirst() : directed.nullsLast();
        })
      : query.orderBy(column, shape.order);
  if (column !== 'movies.id') query = query.orderBy('movies.id', shape.order);
  return query.limit(v.limit).offset(v.offset);
});

export async function listMovies(db: Db, opts: MovieListOptions): Promise<{ rows: MovieRow[]; total: number }> {
  const pattern = opts.q === undefined ? '' : containsPattern(opts.q);
  // A substring search has no index to use: its count, like its rows, reads the table.
  const total = opts.q === undefined ? await rowCount(db, 'movies') : Number((await searchedMovieCount(db, 'search', { pattern }))[0]!.n);
  const plan = scanPlan(opts, total);
  if (plan === undefined) return { rows: [], total };
  const order = plan.reverse ? (opts.order === 'asc' ? 'desc' : 'asc') : opts.order;
  const shape = { sort: opts.sort, order, reverse: plan.reverse, search: opts.q !== undefined };
  const rows = await moviePage(db, shape, { pattern, limit: plan.limit, offset: plan.offset });
  return { rows: plan.reverse ? rows.reverse() : rows, total };
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

export async function insertMovie(db: Db, fields: MovieFields): Promise<MovieRow> {
  const now = nowIso();
  const row = await orConflict(() =>
    db
      .insertInto('movies')
      .values({ ...fields, title_key: fields.title.toLowerCase(), created_at: now, updated_at: now })
      .returning('id')
      .executeTakeFirstOrThrow(),
  );
  return (await findMovie(db, row.id))!;
}

/**
 * Changes the fields that differ from what is stored, and only then moves `updated_at`: a PATCH of
 * `{}`, or a PUT of what is already there, changes nothing and says so by its unchanged timestamp.
 */
export async function updateMovie(db: Db, id: number, fields: Partial<MovieFields>): Promise<MovieRow | undefined> {
  return db.transaction().execute(async (trx) => {
    const current = await findMovie(trx, id);
    if (!current) return undefined;
    const changed = (Object.keys(fields) as (keyof MovieFields)[]).filter((k) => fields[k] !== undefined && fields[k] !== current[k]);
    if (changed.length === 0) return current;
    const changes = Object.fromEntries(changed.map((k) => [k, fields[k]])) as Partial<MovieFields>;
    if (changes.title !== undefined) Object.assign(changes, { title_key: changes.title.toLowerCase() });
    await orConflict(() => trx.updateTable('movies').set({ ...changes, updated_at: nowIso() }).where('id', '=', id).execute());
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
