import type { Db } from '../../db/connect.js';
import { isForeignKeyViolation, isUniqueViolation, locksRows, nowIso } from '../../db/connect.js';
import { conflict, notFound } from '../../http/errors.js';
import { type Page, offsetOf } from '../../http/pagination.js';
import { adjustScores, movieExists } from '../movies/data.js';

export interface Review {
  id: number;
  user_id: number;
  username: string;
  movie: { id: number; title: string };
  review: string;
  score: number;
  created_at: string;
  updated_at: string;
}

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

function toReview({ movie_id, title, ...rest }: JoinedRow): Review {
  return { ...rest, movie: { id: movie_id, title } };
}

export interface ReviewFilter extends Page {
  movieId?: number | undefined;
  userId?: number | undefined;
}

/** Newest first. */
export async function listReviews(db: Db, filter: ReviewFilter): Promise<{ reviews: Review[]; total: number }> {
  const rows = await joined(db)
    .$if(filter.movieId !== undefined, (qb) => qb.where('reviews.movie_id', '=', filter.movieId!))
    .$if(filter.userId !== undefined, (qb) => qb.where('reviews.user_id', '=', filter.userId!))
    .orderBy('reviews.id', 'desc')
    .limit(filter.limit)
    .offset(offsetOf(filter))
    .execute();
  const count = await db
    .selectFrom('reviews')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .$if(filter.movieId !== undefined, (qb) => qb.where('movie_id', '=', filter.movieId!))
    .$if(filter.userId !== undefined, (qb) => qb.where('user_id', '=', filter.userId!))
    .executeTakeFirstOrThrow();
  return { reviews: rows.map(toReview), total: Number(count.n) };
}

export async function findReview(db: Db, id: number): Promise<Review | undefined> {
  const row = await joined(db).where('reviews.id', '=', id).executeTakeFirst();
  return row && toReview(row);
}

export async function findReviewOwner(db: Db, id: number): Promise<number | undefined> {
  const row = await db.selectFrom('reviews').select('user_id').where('id', '=', id).executeTakeFirst();
  return row?.user_id;
}

/** Runs `work` in a new transaction, or in the caller's when `db` already is one (`seed` loads everything in one). */
function inTransaction<T>(db: Db, work: (trx: Db) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db) : db.transaction().execute(work);
}

/**
 * Writes the review and moves its movie's aggregates in one transaction. The unique
 * (user_id, movie_id) constraint, not a pre-check, decides between two concurrent attempts.
 */
export async function createReview(db: Db, userId: number, movieId: number, review: string, score: number): Promise<Review> {
  if (!(await movieExists(db, movieId))) throw notFound('Movie');
  try {
    // Read back inside the transaction: once committed, the review may be gone at once (its
    // author's account deleted, its movie deleted) before a later read could see it.
    return await inTransaction(db, async (trx) => {
      const now = nowIso();
      const row = await trx
        .insertInto('reviews')
        .values({ user_id: userId, movie_id: movieId, review, score, created_at: now, updated_at: now })
        .returning('id')
        .executeTakeFirstOrThrow();
      await adjustScores(trx, movieId, 1, score);
      return (await findReview(trx, row.id))!;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict('Already created a review');
    if (isForeignKeyViolation(err)) throw notFound('Movie'); // deleted since the check above
    throw err;
  }
}

export async function updateReview(db: Db, id: number, changes: { review?: string; score?: number }): Promise<Review | undefined> {
  return db.transaction().execute(async (trx) => {
    // On PostgreSQL the row is read FOR UPDATE, so the old score cannot be changed by a concurrent
    // edit (or the review deleted) before our delta is applied. SQLite runs one transaction at a time.
    const old = await trx
      .selectFrom('reviews')
      .select(['movie_id', 'score'])
      .where('id', '=', id)
      .$if(locksRows(trx), (qb) => qb.forUpdate())
      .executeTakeFirst();
    if (!old) return undefined;
    await trx
      .updateTable('reviews')
      .set({ ...changes, updated_at: nowIso() })
      .where('id', '=', id)
      .execute();
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
