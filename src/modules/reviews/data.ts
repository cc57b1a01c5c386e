import type { Db } from '../../db/connect.js';
import { isForeignKeyViolation, isUniqueViolation } from '../../db/errors.js';
import { locksRows } from '../../db/locks.js';
import { nowIso } from '../../db/time.js';
import { DomainError } from '../../domain/errors.js';
import { type Page, scanPlan } from '../../http/pagination.js';
import { prepared } from '../../db/prepared.js';
import { rowCount } from '../../db/row-counts.js';
import { adjustScores, movieExists } from '../movies/index.js';
import type { Review, ReviewSort } from './schemas.js';

function joined(db: Db) {
  return db
    .selectFrom('reviews')
    .innerJoin('users', 'users.id', 'reviews.user_id')
    .innerJoin('movies', 'movies.id', 'reviews.movie_id')
    .select([
      'reviews.id',
      'reviews.user_id',
      'users.username',
      'reviews.movie_id',
      'movies.title',
      'reviews.review',
      'reviews.score',
      'reviews.created_at',
      'reviews.updated_at',
    ]);
}

type JoinedRow = Awaited<ReturnType<ReturnType<typeof joined>['executeTakeFirstOrThrow']>>;

// Field by field: an object rest/spread is several times slower on this per-row path.
function toReview(row: JoinedRow): Review {
  return {
    id: row.id,
    user_id: row.user_id,
    username: row.username,
    movie: { id: row.movie_id, title: row.title },
    review: row.review,
    score: row.score,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export interface ReviewFilter extends Page {
  movieId?: number | undefined;
  userId?: number | undefined;
  sort: ReviewSort;
  order: 'asc' | 'desc';
}

/** The column of each sort; every one has an index ending in id (migrations 0001, 0004, 0006). */
const SORT_COLUMN = { id: 'reviews.id', created: 'reviews.created_at', rating: 'reviews.score' } as const satisfies Record<ReviewSort, string>;

const movieReviewCount = prepared((db, _shape: 'by movie', v: { movieId: number }) =>
  db.selectFrom('movies').select('review_count').where('id', '=', v.movieId),
);

const userReviewCount = prepared((db, shape: { movie: boolean }, v: { userId: number; movieId: number }) =>
  db
    .selectFrom('reviews')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', v.userId)
    .$if(shape.movie, (qb) => qb.where('movie_id', '=', v.movieId)),
);

/**
 * How many reviews a filter matches, without reading them all: the kept totals for all reviews
 * and for one movie's; a user's are counted on the (user_id, id) index.
 */
async function countReviews(db: Db, filter: ReviewFilter): Promise<number> {
  if (filter.movieId === undefined && filter.userId === undefined) return rowCount(db, 'reviews');
  if (filter.userId === undefined) return (await movieReviewCount(db, 'by movie', { movieId: filter.movieId! }))[0]?.review_count ?? 0;
  const [row] = await userReviewCount(db, { movie: filter.movieId !== undefined }, { userId: filter.userId, movieId: filter.movieId ?? 0 });
  return Number(row!.n);
}

const reviewPage = prepared(
  (
    db,
    shape: { movie: boolean; user: boolean; sort: ReviewSort; order: 'asc' | 'desc' },
    v: { movieId: number; userId: number; limit: number; offset: number },
  ) => {
    const column = SORT_COLUMN[shape.sort];
    let query = joined(db)
      .$if(shape.movie, (qb) => qb.where('reviews.movie_id', '=', v.movieId))
      .$if(shape.user, (qb) => qb.where('reviews.user_id', '=', v.userId))
      .orderBy(column, shape.order);
    // Ties broken by id in the same direction, so each page follows on from the last and a page
    // read from the far end (scanPlan) holds the same rows.
    if (column !== 'reviews.id') query = query.orderBy('reviews.id', shape.order);
    return query.limit(v.limit).offset(v.offset);
  },
);

/** One page of a review list in the order asked for. */
export async function listReviews(db: Db, filter: ReviewFilter): Promise<{ reviews: Review[]; total: number }> {
  const total = await countReviews(db, filter);
  const plan = scanPlan(filter, total);
  if (plan === undefined) return { reviews: [], total };
  const order = plan.reverse ? (filter.order === 'asc' ? 'desc' : 'asc') : filter.order;
  const shape = { movie: filter.movieId !== undefined, user: filter.userId !== undefined, sort: filter.sort, order };
  const rows = await reviewPage(db, shape, { movieId: filter.movieId ?? 0, userId: filter.userId ?? 0, limit: plan.limit, offset: plan.offset });
  return { reviews: (plan.reverse ? rows.reverse() : rows).map(toReview), total };
}

const reviewById = prepared((db, _shape: 'by id', v: { id: number }) => joined(db).where('reviews.id', '=', v.id));

export async function findReview(db: Db, id: number): Promise<Review | undefined> {
  const [row] = await reviewById(db, 'by id', { id });
  return row && toReview(row);
}

const reviewOwner = prepared((db, _shape: 'by id', v: { id: number }) => db.selectFrom('reviews').select('user_id').where('id', '=', v.id));

export async function findReviewOwner(db: Db, id: number): Promise<number | undefined> {
  return (await reviewOwner(db, 'by id', { id }))[0]?.user_id;
}

/** Runs `work` in a new transaction, or in the caller's when `db` already is one (`seed` loads everything in one). */
function inTransaction<T>(db: Db, work: (trx: Db) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db) : db.transaction().execute(work);
}

const reviewInsert = prepared((db, _shape: 'insert', v: { userId: number; movieId: number; review: string; score: number; now: string }) =>
  db
    .insertInto('reviews')
    .values({ user_id: v.userId, movie_id: v.movieId, review: v.review, score: v.score, created_at: v.now, updated_at: v.now })
    .returning('id'),
);

/**
 * Writes the review and moves its movie's aggregates in one transaction. The unique
 * (user_id, movie_id) constraint, not a pre-check, decides between two concurrent attempts.
 */
export async function createReview(db: Db, userId: number, movieId: number, review: string, score: number): Promise<Review> {
  if (!(await movieExists(db, movieId))) throw new DomainError('movie_not_found');
  try {
    // Read back inside the transaction: once committed, the review may be gone at once (its
    // author's account deleted, its movie deleted) before a later read could see it.
    return await inTransaction(db, async (trx) => {
      const now = nowIso();
      const [row] = await reviewInsert(trx, 'insert', { userId, movieId, review, score, now });
      await adjustScores(trx, movieId, 1, score);
      return (await findReview(trx, row!.id))!;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new DomainError('review_exists');
    if (isForeignKeyViolation(err)) {
      // Either the movie was deleted since the check above, or the author's own account was
      // deleted while this request was in flight: then the caller is nobody any more.
      if (await movieExists(db, movieId)) throw new DomainError('not_authenticated');
      throw new DomainError('movie_not_found');
    }
    throw err;
  }
}

// On PostgreSQL the row is read FOR UPDATE, so the old score cannot be changed by a concurrent
// edit (or the review deleted) before our delta is applied. SQLite runs one transaction at a time.
const reviewToUpdate = prepared((db, shape: { lock: boolean }, v: { id: number }) =>
  db
    .selectFrom('reviews')
    .select(['movie_id', 'score', 'review'])
    .where('id', '=', v.id)
    .$if(shape.lock, (qb) => qb.forUpdate()),
);

/** The fields sent decide the statement's shape (a PATCH may send one of them). */
const reviewUpdate = prepared((db, shape: { review: boolean; score: boolean }, v: { id: number; review: string; score: number; updatedAt: string }) =>
  db
    .updateTable('reviews')
    .set({ updated_at: v.updatedAt })
    .$if(shape.review, (qb) => qb.set({ review: v.review }))
    .$if(shape.score, (qb) => qb.set({ score: v.score }))
    .where('id', '=', v.id),
);

export async function updateReview(db: Db, id: number, changes: { review?: string; score?: number }): Promise<Review | undefined> {
  return db.transaction().execute(async (trx) => {
    const [old] = await reviewToUpdate(trx, { lock: locksRows(trx) }, { id });
    if (!old) return undefined;
    // Nothing differs (a PATCH of {}, a PUT of the same text and score): nothing is written, and
    // updated_at keeps saying when the review last changed.
    if ((changes.review === undefined || changes.review === old.review) && (changes.score === undefined || changes.score === old.score)) {
      return findReview(trx, id);
    }
    await reviewUpdate(
      trx,
      { review: changes.review !== undefined, score: changes.score !== undefined },
      { id, review: changes.review ?? '', score: changes.score ?? 0, updatedAt: nowIso() },
    );
    if (changes.score !== undefined && changes.score !== old.score) {
      await adjustScores(trx, old.movie_id, 0, changes.score - old.score);
    }
    return findReview(trx, id); // inside: once committed, the review may be deleted at once
  });
}

export async function deleteReview(db: Db, id: number): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const gone = await trx.deleteFrom('reviews').where('id', '=', id).returning(['movie_id', 'score']).executeTakeFirst();
    if (!gone) return false;
    await adjustScores(trx, gone.movie_id, -1, -gone.score);
    return true;
  });
}

/**
 * Deletes every review of a user inside the caller's transaction (an account's deletion), keeping
 * each movie's aggregates exact: the reviews are deleted with RETURNING, so the scores subtracted
 * are the ones deleted, after any concurrent edit, and the movies are adjusted in id order, as
 * every other multi-movie writer would, so two account deletions cannot deadlock.
 */
export async function deleteReviewsOfUser(trx: Db, userId: number): Promise<void> {
  const gone = await trx.deleteFrom('reviews').where('user_id', '=', userId).returning(['movie_id', 'score']).execute();
  const perMovie = new Map<number, { n: number; total: number }>();
  for (const { movie_id, score } of gone) {
    const m = perMovie.get(movie_id) ?? { n: 0, total: 0 };
    m.n += 1;
    m.total += score;
    perMovie.set(movie_id, m);
  }
  for (const [movieId, { n, total }] of [...perMovie].sort(([a], [b]) => a - b)) {
    await adjustScores(trx, movieId, -n, -total);
  }
}
