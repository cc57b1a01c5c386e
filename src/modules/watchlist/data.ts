import type { Db } from '../../db/connect.js';
import { isForeignKeyViolation } from '../../db/errors.js';
import { prepared } from '../../db/prepared.js';
import { nowIso } from '../../db/time.js';
import { inTransaction } from '../../db/transaction.js';
import { recordActivity } from '../activity/index.js';
import { DomainError } from '../../domain/errors.js';
import { type Page, scanPlan } from '../../http/pagination.js';
import { type MovieRow, movieExists, selectMovies } from '../movies/index.js';

const watchlistInsert = prepared((db, _shape: 'add', v: { userId: number; movieId: number; now: string }) =>
  db
    .insertInto('watchlist')
    .values({ user_id: v.userId, movie_id: v.movieId, added_at: v.now })
    // Adding what is already there changes nothing, and keeps its place in the list.
    .onConflict((oc) => oc.columns(['user_id', 'movie_id']).doNothing())
    .returning('id'),
);

/** Puts a movie on the member's watchlist, with the activity their followers see; idempotent. */
export async function addToWatchlist(db: Db, userId: number, movieId: number): Promise<void> {
  try {
    await inTransaction(db, async (trx) => {
      const [added] = await watchlistInsert(trx, 'add', { userId, movieId, now: nowIso() });
      // Only a movie that was not there yet is news.
      if (added) await recordActivity(trx, { type: 'watchlist', userId, movieId, watchlistId: added.id });
    });
  } catch (err) {
    if (!isForeignKeyViolation(err)) throw err;
    throw new DomainError((await movieExists(db, movieId)) ? 'not_authenticated' : 'movie_not_found');
  }
}

const watchlistDelete = prepared((db, _shape: 'remove', v: { userId: number; movieId: number }) =>
  db.deleteFrom('watchlist').where('user_id', '=', v.userId).where('movie_id', '=', v.movieId),
);

/** Takes a movie off the member's watchlist, if it is there (also inside a diary entry's transaction). */
export async function removeFromWatchlist(db: Db, userId: number, movieId: number): Promise<void> {
  await watchlistDelete(db, 'remove', { userId, movieId });
}

const watchlistCount = prepared((db, _shape: 'count', v: { userId: number }) =>
  db.selectFrom('watchlist').select((eb) => eb.fn.countAll<number | string>().as('n')).where('user_id', '=', v.userId),
);

const watchlistPage = prepared((db, shape: { order: 'asc' | 'desc' }, v: { userId: number; limit: number; offset: number }) =>
  selectMovies(db)
    .innerJoin('watchlist', 'watchlist.movie_id', 'movies.id')
    .where('watchlist.user_id', '=', v.userId)
    .orderBy('watchlist.id', shape.order)
    .limit(v.limit)
    .offset(v.offset),
);

/** A page of the member's watchlist, last added first, walking the (user_id, id) index. */
export async function listWatchlist(db: Db, userId: number, page: Page): Promise<{ rows: MovieRow[]; total: number }> {
  const total = Number((await watchlistCount(db, 'count', { userId }))[0]!.n);
  const plan = scanPlan(page, total);
  if (plan === undefined) return { rows: [], total };
  const rows = await watchlistPage(db, { order: plan.reverse ? 'asc' : 'desc' }, { userId, limit: plan.limit, offset: plan.offset });
  return { rows: plan.reverse ? rows.reverse() : rows, total };
}

/** Which of these movies are on the member's watchlist. */
export async function watchlisted(db: Db, userId: number, movieIds: number[]): Promise<Set<number>> {
  if (movieIds.length === 0) return new Set();
  const rows = await db.selectFrom('watchlist').select('movie_id').where('user_id', '=', userId).where('movie_id', 'in', movieIds).execute();
  return new Set(rows.map((r) => r.movie_id));
}

/**
 * Puts imported watchlist films on the member's watchlist inside the caller's transaction, in the
 * order given (oldest first: the list shows the last added first), each with the day it was added
 * there; films already on it keep their place. No activity: history, not news.
 */
export async function insertImportedWatchlist(trx: Db, userId: number, items: readonly { movieId: number; addedAt: string }[]): Promise<number> {
  let added = 0;
  for (const item of items) {
    const [row] = await trx
      .insertInto('watchlist')
      .values({ user_id: userId, movie_id: item.movieId, added_at: item.addedAt })
      .onConflict((oc) => oc.columns(['user_id', 'movie_id']).doNothing())
      .returning('id')
      .execute();
    if (row) added += 1;
  }
  return added;
}
