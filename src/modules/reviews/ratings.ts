import type { Db } from '../../db/connect.js';
import { inTransaction } from '../../db/transaction.js';
import { isForeignKeyViolation } from '../../db/errors.js';
import { locksRows } from '../../db/locks.js';
import { prepared } from '../../db/prepared.js';
import { nowIso } from '../../db/time.js';
import { DomainError } from '../../domain/errors.js';
import { scoreOfHalves } from '../../domain/ratings.js';
import { adjustRatings, adjustReviewCount, lockMovies, movieExists } from '../movies/index.js';

/**
 * A member's rating of a movie (the `ratings` table): set by a review, by PUT …/rating, by a
 * diary entry with a rating; the review of that member and movie, when there is one, always
 * carries the same value (`reviews.halves`, and `score` rounded from it).
 *
 * Locks, on PostgreSQL, are always taken in the same order, so writers never deadlock each other:
 * the member's rating row, then their review row, then the movie's row (its aggregates).
 */

const ratingRow = prepared((db, shape: { lock: boolean }, v: { userId: number; movieId: number }) =>
  db
    .selectFrom('ratings')
    .select(['halves', 'updated_at'])
    .where('user_id', '=', v.userId)
    .where('movie_id', '=', v.movieId)
    .$if(shape.lock, (qb) => qb.forUpdate()),
);

export async function findRating(db: Db, userId: number, movieId: number): Promise<{ halves: number; updated_at: string } | undefined> {
  return (await ratingRow(db, { lock: false }, { userId, movieId }))[0];
}

/** Reads the member's rating of a movie and, on PostgreSQL, locks it until the transaction ends. */
export async function lockRating(trx: Db, userId: number, movieId: number): Promise<number | null> {
  const [row] = await ratingRow(trx, { lock: locksRows(trx) }, { userId, movieId });
  return row?.halves ?? null;
}

const ratingInsert = prepared((db, _shape: 'insert', v: { userId: number; movieId: number; halves: number; now: string }) =>
  db
    .insertInto('ratings')
    .values({ user_id: v.userId, movie_id: v.movieId, halves: v.halves, created_at: v.now, updated_at: v.now })
    // Two writes of one member's first rating at once: the second finds the first's row and
    // changes it, rather than failing on the primary key.
    .onConflict((oc) => oc.columns(['user_id', 'movie_id']).doNothing())
    .returning('halves'),
);

const ratingUpdate = prepared((db, _shape: 'update', v: { userId: number; movieId: number; halves: number; now: string }) =>
  db.updateTable('ratings').set({ halves: v.halves, updated_at: v.now }).where('user_id', '=', v.userId).where('movie_id', '=', v.movieId),
);

/** The member's review of the movie follows their rating: its half stars, its score, its updated_at. */
const reviewFollows = prepared((db, _shape: 'follow', v: { userId: number; movieId: number; halves: number; score: number; now: string }) =>
  db
    .updateTable('reviews')
    .set({ halves: v.halves, score: v.score, updated_at: v.now })
    .where('user_id', '=', v.userId)
    .where('movie_id', '=', v.movieId)
    .where('halves', '<>', v.halves),
);

/**
 * A write whose foreign key failed: either the movie was deleted meanwhile, or the member's own
 * account was (then the caller is nobody any more).
 */
export async function foreignKeyError(db: Db, err: unknown, movieId: number): Promise<unknown> {
  if (!isForeignKeyViolation(err)) return err;
  return new DomainError((await movieExists(db, movieId)) ? 'not_authenticated' : 'movie_not_found');
}

/**
 * Sets the member's rating of a movie inside the caller's transaction, moving the movie's
 * aggregates by the change and bringing the member's review of it along. Returns the rating it
 * replaced (null: there was none). Nothing is written when the rating is already that.
 */
export async function writeRating(trx: Db, userId: number, movieId: number, halves: number): Promise<number | null> {
  const now = nowIso();
  let old = await lockRating(trx, userId, movieId);
  if (old === null) {
    const inserted = await ratingInsert(trx, 'insert', { userId, movieId, halves, now });
    if (inserted.length === 0) old = await lockRating(trx, userId, movieId);
  }
  if (old === halves) return old;
  if (old !== null) await ratingUpdate(trx, 'update', { userId, movieId, halves, now });
  await reviewFollows(trx, 'follow', { userId, movieId, halves, score: scoreOfHalves(halves), now });
  await adjustRatings(trx, movieId, { from: old, to: halves });
  return old;
}

const ratingDelete = prepared((db, _shape: 'delete', v: { userId: number; movieId: number }) =>
  db.deleteFrom('ratings').where('user_id', '=', v.userId).where('movie_id', '=', v.movieId).returning('halves'),
);

/** Removes the member's rating inside the caller's transaction, with the movie's aggregates. False when there was none. */
export async function eraseRating(trx: Db, userId: number, movieId: number): Promise<boolean> {
  const [gone] = await ratingDelete(trx, 'delete', { userId, movieId });
  if (!gone) return false;
  await adjustRatings(trx, movieId, { from: gone.halves, to: null });
  return true;
}

const reviewOf = prepared((db, shape: { lock: boolean }, v: { userId: number; movieId: number }) =>
  db
    .selectFrom('reviews')
    .select('id')
    .where('user_id', '=', v.userId)
    .where('movie_id', '=', v.movieId)
    .$if(shape.lock, (qb) => qb.forUpdate()),
);

/** PUT …/rating: sets the rating (and the review's, if any). */
export async function setRating(db: Db, userId: number, movieId: number, halves: number): Promise<{ halves: number; updated_at: string }> {
  if (!(await movieExists(db, movieId))) throw new DomainError('movie_not_found');
  try {
    return await inTransaction(db, async (trx) => {
      await writeRating(trx, userId, movieId, halves);
      return (await findRating(trx, userId, movieId))!;
    });
  } catch (err) {
    throw await foreignKeyError(db, err, movieId);
  }
}

/** DELETE …/rating: refused while a review holds the rating (deleting the review deletes it). */
export async function deleteRating(db: Db, userId: number, movieId: number): Promise<void> {
  await inTransaction(db, async (trx) => {
    if ((await lockRating(trx, userId, movieId)) === null) {
      throw new DomainError((await movieExists(trx, movieId)) ? 'rating_not_found' : 'movie_not_found');
    }
    if ((await reviewOf(trx, { lock: locksRows(trx) }, { userId, movieId })).length > 0) throw new DomainError('rating_held_by_review');
    await eraseRating(trx, userId, movieId);
  });
}

/**
 * Deletes every rating and review of a user inside the caller's transaction (an account's
 * deletion), keeping each movie's aggregates exact: the rows are deleted with RETURNING, so what
 * is subtracted is what was deleted, after any concurrent edit, and the movies are adjusted in id
 * order, as every other multi-movie writer does, so two account deletions cannot deadlock.
 */
export async function deleteRatingsOfUser(trx: Db, userId: number): Promise<void> {
  // The movies first, in id order, before the reviews (and a row count's shard) go.
  const rated = await trx.selectFrom('ratings').select('movie_id').where('user_id', '=', userId).execute();
  await lockMovies(trx, rated.map((r) => r.movie_id));
  const ratings = await trx.deleteFrom('ratings').where('user_id', '=', userId).returning(['movie_id', 'halves']).execute();
  const reviews = await trx.deleteFrom('reviews').where('user_id', '=', userId).returning('movie_id').execute();
  const reviewed = new Set(reviews.map((r) => r.movie_id));
  for (const { movie_id, halves } of ratings.sort((a, b) => a.movie_id - b.movie_id)) {
    await adjustRatings(trx, movie_id, { from: halves, to: null });
    if (reviewed.has(movie_id)) await adjustReviewCount(trx, movie_id, -1);
  }
}
