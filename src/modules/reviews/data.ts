import type { Db } from '../../db/connect.js';
import type { Dependency } from '../../db/write-journal.js';
import { isUniqueViolation } from '../../db/errors.js';
import { locksRows } from '../../db/locks.js';
import { nowIso } from '../../db/time.js';
import { DomainError } from '../../domain/errors.js';
import { type Page, scanPlan } from '../../http/pagination.js';
import { idSlots, idValues, prepared } from '../../db/prepared.js';
import { rowCount } from '../../db/row-counts.js';
import { scoreOfHalves } from '../../domain/ratings.js';
import { adjustReviewCount, lockMovies, movieExists } from '../movies/index.js';
import { eraseRating, foreignKeyError, lockRating, writeRating } from './ratings.js';
import { inTransaction } from '../../db/transaction.js';
import { recordActivity } from '../activity/index.js';
import type { Review, ReviewSort } from './schemas.js';
import { type FullText, indexReader, tieredPage } from '../../db/fulltext.js';

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
      'reviews.halves',
      'reviews.spoiler',
      'reviews.like_count',
      'reviews.comment_count',
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
    rating: row.halves / 2,
    spoiler: row.spoiler === 1,
    like_count: row.like_count,
    comment_count: row.comment_count,
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

/** The column of each sort; every one has an index ending in id (migrations 0001, 0004, 0006, 0007, 0008). */
const SORT_COLUMN = { id: 'reviews.id', created: 'reviews.created_at', rating: 'reviews.halves', likes: 'reviews.like_count' } as const satisfies Record<ReviewSort, string>;

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

/** What a review as the API shows it is read from (joined): its row, its author's (the username) and its movie's (the title); see src/db/write-journal.ts. */
/** The tables `reviewDependencies` names, journaled for the read cache. */
export const REVIEW_TABLES = ['reviews', 'users', 'movies'] as const;
export function reviewDependencies(review: { id: number; user_id: number; movie: { id: number } }): Dependency[] {
  return [`reviews#${review.id}`, `users#${review.user_id}`, `movies#${review.movie.id}`];
}

export async function findReview(db: Db, id: number): Promise<Review | undefined> {
  const [row] = await reviewById(db, 'by id', { id });
  return row && toReview(row);
}

const reviewsByIds = prepared((db, n: number, v: Record<string, number>) => joined(db).where('reviews.id', 'in', idSlots(v, n)));

/** These reviews, in the order of `ids` (those that no longer exist left out). */
export async function findReviewsByIds(db: Db, ids: number[]): Promise<Review[]> {
  if (ids.length === 0) return [];
  const wanted = [...new Set(ids)];
  const rows = await reviewsByIds(db, wanted.length, idValues(wanted));
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.flatMap((id) => {
    const row = byId.get(id);
    return row ? [toReview(row)] : [];
  });
}

const reviewOwner = prepared((db, _shape: 'by id', v: { id: number }) => db.selectFrom('reviews').select('user_id').where('id', '=', v.id));

export async function findReviewOwner(db: Db, id: number): Promise<number | undefined> {
  return (await reviewOwner(db, 'by id', { id }))[0]?.user_id;
}

const reviewInsert = prepared((db, _shape: 'insert', v: { userId: number; movieId: number; review: string; halves: number; score: number; spoiler: number; now: string }) =>
  db
    .insertInto('reviews')
    .values({ user_id: v.userId, movie_id: v.movieId, review: v.review, score: v.score, halves: v.halves, spoiler: v.spoiler, created_at: v.now, updated_at: v.now })
    .returning('id'),
);

/**
 * Writes the review, its author's rating of the movie, the movie's aggregates and the activity
 * the author's followers see in one transaction. The unique (user_id, movie_id) constraint, not a pre-check, decides between two
 * concurrent attempts.
 */
export async function createReview(db: Db, userId: number, movieId: number, review: string, halves: number, spoiler = false): Promise<Review> {
  if (!(await movieExists(db, movieId))) throw new DomainError('movie_not_found');
  try {
    // Read back inside the transaction: once committed, the review may be gone at once (its
    // author's account deleted, its movie deleted) before a later read could see it.
    return await inTransaction(db, async (trx) => {
      await writeRating(trx, userId, movieId, halves);
      const [row] = await reviewInsert(trx, 'insert', { userId, movieId, review, halves, score: scoreOfHalves(halves), spoiler: spoiler ? 1 : 0, now: nowIso() });
      await adjustReviewCount(trx, movieId, 1);
      await recordActivity(trx, { type: 'review', userId, movieId, reviewId: row!.id });
      return (await findReview(trx, row!.id))!;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new DomainError('review_exists');
    throw await foreignKeyError(db, err, movieId);
  }
}

const reviewToUpdate = prepared((db, shape: { lock: boolean }, v: { id: number }) =>
  db
    .selectFrom('reviews')
    .select(['user_id', 'movie_id', 'halves', 'review', 'spoiler'])
    .where('id', '=', v.id)
    .$if(shape.lock, (qb) => qb.forUpdate()),
);

const reviewTextUpdate = prepared((db, _shape: 'text', v: { id: number; review: string; updatedAt: string }) =>
  db.updateTable('reviews').set({ review: v.review, updated_at: v.updatedAt }).where('id', '=', v.id),
);

/**
 * Changes a review's text and/or rating. The rating is its author's rating of the movie: it
 * changes through `writeRating`, which brings the review along. The locks follow the order of
 * ratings.ts (rating row, review row, movie row).
 */
export async function updateReview(db: Db, id: number, changes: { review?: string; halves?: number; spoiler?: boolean }): Promise<Review | undefined> {
  return db.transaction().execute(async (trx) => {
    const [found] = await reviewToUpdate(trx, { lock: false }, { id });
    if (!found) return undefined;
    // On PostgreSQL the locks, in ratings.ts's order, and the row read again under its lock. On
    // SQLite the transaction already holds the database's one write lock (BEGIN IMMEDIATE, one
    // transaction at a time on the connection: db/group-commit.ts), so nothing can have changed
    // since `found` was read, and both reads would be spent for nothing on every edit.
    let old = found;
    if (locksRows(trx)) {
      await lockRating(trx, found.user_id, found.movie_id);
      const [locked] = await reviewToUpdate(trx, { lock: true }, { id });
      if (!locked) return undefined; // deleted meanwhile
      old = locked;
    }
    // Nothing differs (a PATCH of {}, a PUT of the same text and rating): nothing is written, and
    // updated_at keeps saying when the review last changed.
    if (changes.halves !== undefined && changes.halves !== old.halves) await writeRating(trx, old.user_id, old.movie_id, changes.halves);
    if (changes.review !== undefined && changes.review !== old.review) await reviewTextUpdate(trx, 'text', { id, review: changes.review, updatedAt: nowIso() });
    if (changes.spoiler !== undefined && Number(changes.spoiler) !== old.spoiler) {
      await trx.updateTable('reviews').set({ spoiler: Number(changes.spoiler), updated_at: nowIso() }).where('id', '=', id).execute();
    }
    return findReview(trx, id); // inside: once committed, the review may be deleted at once
  });
}

/** Deletes a review and the rating it holds, with the movie's aggregates. */
export async function deleteReview(db: Db, id: number): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const [found] = await reviewToUpdate(trx, { lock: false }, { id });
    if (!found) return false;
    await lockRating(trx, found.user_id, found.movie_id);
    // The movie before the review's row goes (and with it a row count's shard): createReview's order.
    await lockMovies(trx, [found.movie_id]);
    const gone = await trx.deleteFrom('reviews').where('id', '=', id).returning(['user_id', 'movie_id']).executeTakeFirst();
    if (!gone) return false;
    await eraseRating(trx, gone.user_id, gone.movie_id);
    await adjustReviewCount(trx, gone.movie_id, -1);
    return true;
  });
}

/** The reviews' full-text search: their text (migration 0009). */
const REVIEWS_FULL_TEXT: FullText = { fts: 'reviews_fts', table: 'reviews', tiers: [{ columns: ['review'], weight: 'A' }] };

/** The reviews whose text has every word (src/domain/text.ts), newest first, from the index alone. */
export async function searchReviewIds(db: Db, words: readonly string[], limit: number): Promise<number[]> {
  return tieredPage(indexReader(db, REVIEWS_FULL_TEXT, words, true), REVIEWS_FULL_TEXT.tiers.length, limit, 0);
}
