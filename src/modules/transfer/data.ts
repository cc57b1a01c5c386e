import { sql } from 'kysely';
import type { Db } from '../../db/connect.js';

/**
 * The reads of a member's whole data, for an export and for an import's "what is there already".
 * They span the tables of the diary, reviews, watchlist, lists, follows, comments and likes
 * modules, read-only: every write of an import goes through the module that owns the table (its
 * counts, aggregates and triggers). The export reads page by page along an index (`after` is the
 * last key of the previous page), each page its own statement, so a slow download holds no
 * transaction and no more than a page in memory.
 */

export const EXPORT_PAGE = 500;

const movieColumns = ['movies.id as movie_id', 'movies.title', 'movies.year'] as const;

/** The diary in the order it was lived (day, then the order logged), along its (user_id, watched_on, id) index; `after` is the last row's [watched_on, id]. */
export function diaryPage(db: Db, userId: number, after: readonly [string, number] | undefined) {
  return db
    .selectFrom('diary_entries')
    .innerJoin('movies', 'movies.id', 'diary_entries.movie_id')
    .select([
      'diary_entries.id',
      ...movieColumns,
      'diary_entries.watched_on',
      'diary_entries.rewatch',
      'diary_entries.halves',
      'diary_entries.liked',
      'diary_entries.tags',
      'diary_entries.created_at',
    ])
    .where('diary_entries.user_id', '=', userId)
    .$if(after !== undefined, (qb) => qb.where(sql<boolean>`(diary_entries.watched_on, diary_entries.id) > (${after![0]}, ${after![1]})`))
    .orderBy('diary_entries.watched_on')
    .orderBy('diary_entries.id')
    .limit(EXPORT_PAGE)
    .execute();
}

export function ratingsPage(db: Db, userId: number, after: number) {
  return db
    .selectFrom('ratings')
    .innerJoin('movies', 'movies.id', 'ratings.movie_id')
    .select([...movieColumns, 'ratings.halves', 'ratings.created_at', 'ratings.updated_at'])
    .where('ratings.user_id', '=', userId)
    .where('ratings.movie_id', '>', after)
    .orderBy('ratings.movie_id')
    .limit(EXPORT_PAGE)
    .execute();
}

export function reviewsPage(db: Db, userId: number, after: number) {
  return db
    .selectFrom('reviews')
    .innerJoin('movies', 'movies.id', 'reviews.movie_id')
    .select([
      'reviews.id',
      ...movieColumns,
      'reviews.review',
      'reviews.halves',
      'reviews.score',
      'reviews.spoiler',
      'reviews.like_count',
      'reviews.comment_count',
      'reviews.created_at',
      'reviews.updated_at',
    ])
    .where('reviews.user_id', '=', userId)
    .where('reviews.id', '>', after)
    .orderBy('reviews.id')
    .limit(EXPORT_PAGE)
    .execute();
}

export function watchlistPage(db: Db, userId: number, after: number) {
  return db
    .selectFrom('watchlist')
    .innerJoin('movies', 'movies.id', 'watchlist.movie_id')
    .select(['watchlist.id', ...movieColumns, 'watchlist.added_at'])
    .where('watchlist.user_id', '=', userId)
    .where('watchlist.id', '>', after)
    .orderBy('watchlist.id')
    .limit(EXPORT_PAGE)
    .execute();
}

/** A member's lists (at most MAX_LISTS), oldest first. */
export function listsOf(db: Db, userId: number) {
  return db
    .selectFrom('lists')
    .select(['id', 'title', 'description', 'ranked', 'public', 'item_count', 'created_at', 'updated_at'])
    .where('user_id', '=', userId)
    .orderBy('id')
    .execute();
}

/** A list's films in order (at most MAX_ITEMS). */
export function listItemsOf(db: Db, listId: number) {
  return db
    .selectFrom('list_items')
    .innerJoin('movies', 'movies.id', 'list_items.movie_id')
    .select([...movieColumns, 'list_items.note', 'list_items.added_at'])
    .where('list_items.list_id', '=', listId)
    .orderBy('list_items.sort_key')
    .orderBy('list_items.movie_id')
    .execute();
}

/** The members `userId` follows (`following`) or who follow them (`followers`), by follow. */
export function followsPage(db: Db, userId: number, side: 'following' | 'followers', after: number) {
  const [self, other] = side === 'following' ? (['follower_id', 'followed_id'] as const) : (['followed_id', 'follower_id'] as const);
  return db
    .selectFrom('follows')
    .innerJoin('users', 'users.id', `follows.${other}`)
    .select(['follows.id', 'users.id as user_id', 'users.username', 'follows.created_at'])
    .where(`follows.${self}`, '=', userId)
    .where('follows.id', '>', after)
    .orderBy('follows.id')
    .limit(EXPORT_PAGE)
    .execute();
}

export function commentsPage(db: Db, userId: number, after: number) {
  return db
    .selectFrom('comments')
    .select(['id', 'review_id', 'text', 'created_at'])
    .where('user_id', '=', userId)
    .where('id', '>', after)
    .orderBy('id')
    .limit(EXPORT_PAGE)
    .execute();
}

export function likesPage(db: Db, userId: number, after: number) {
  return db
    .selectFrom('review_likes')
    .select(['id', 'review_id', 'created_at'])
    .where('user_id', '=', userId)
    .where('id', '>', after)
    .orderBy('id')
    .limit(EXPORT_PAGE)
    .execute();
}

/** What a member already has, as an import compares it (inside the import's transaction). */
export interface MemberState {
  ratings: Map<number, { halves: number; updated_at: string }>;
  reviewed: Set<number>;
  /** Viewings by `movieId|watched_on`: how many the diary holds. */
  viewings: Map<string, number>;
  watchlist: Set<number>;
  /** The member's lists by title, oldest first (two lists may share a title). */
  lists: Map<string, { id: number; movies: Set<number> }[]>;
}

export const viewingKey = (movieId: number, watchedOn: string): string => `${movieId}|${watchedOn}`;

export async function memberState(trx: Db, userId: number): Promise<MemberState> {
  const [ratings, reviews, diary, watchlist, lists, items] = await Promise.all([
    trx.selectFrom('ratings').select(['movie_id', 'halves', 'updated_at']).where('user_id', '=', userId).execute(),
    trx.selectFrom('reviews').select('movie_id').where('user_id', '=', userId).execute(),
    trx.selectFrom('diary_entries').select(['movie_id', 'watched_on']).where('user_id', '=', userId).execute(),
    trx.selectFrom('watchlist').select('movie_id').where('user_id', '=', userId).execute(),
    trx.selectFrom('lists').select(['id', 'title']).where('user_id', '=', userId).orderBy('id').execute(),
    trx
      .selectFrom('list_items')
      .innerJoin('lists', 'lists.id', 'list_items.list_id')
      .select(['list_items.list_id', 'list_items.movie_id'])
      .where('lists.user_id', '=', userId)
      .execute(),
  ]);
  const viewings = new Map<string, number>();
  for (const v of diary) viewings.set(viewingKey(v.movie_id, v.watched_on), (viewings.get(viewingKey(v.movie_id, v.watched_on)) ?? 0) + 1);
  const byList = new Map<number, Set<number>>(lists.map((l) => [l.id, new Set<number>()]));
  for (const item of items) byList.get(item.list_id)?.add(item.movie_id);
  const named = new Map<string, { id: number; movies: Set<number> }[]>();
  for (const l of lists) named.set(l.title, [...(named.get(l.title) ?? []), { id: l.id, movies: byList.get(l.id)! }]);
  return {
    ratings: new Map(ratings.map((r) => [r.movie_id, { halves: r.halves, updated_at: r.updated_at }])),
    reviewed: new Set(reviews.map((r) => r.movie_id)),
    viewings,
    watchlist: new Set(watchlist.map((w) => w.movie_id)),
    lists: named,
  };
}
