import { AsyncLocalStorage } from 'node:async_hooks';
import { sql } from 'kysely';
import type { Db } from '../../db/connect.js';
import { locksRows } from '../../db/locks.js';
import { prepared } from '../../db/prepared.js';
import { nowIso } from '../../db/time.js';
import type { ActivityType } from '../../domain/enums.js';

/**
 * How many of a member's latest activities a new follower's feed is filled with. The feed shows
 * what people did since they were followed and this much before; a bound, so that following
 * someone with 100,000 diary entries costs what following anyone does.
 */
export const FEED_BACKFILL = 1000;

/** One thing a member did: its type and what it is about (the ids its type needs). */
export interface NewActivity {
  type: ActivityType;
  userId: number;
  movieId?: number;
  reviewId?: number;
  diaryId?: number;
  watchlistId?: number;
  listId?: number;
  followId?: number;
  followedId?: number;
}

const fanOut = prepared((db, _shape: 'fan out', v: { activityId: number; actorId: number }) =>
  db
    .insertInto('feed_items')
    .columns(['member_id', 'activity_id', 'actor_id'])
    .expression(
      db
        .selectFrom('follows')
        .select(['follower_id', sql<number>`cast(${v.activityId} as integer)`.as('activity_id'), sql<number>`cast(${v.actorId} as integer)`.as('actor_id')])
        .where('followed_id', '=', v.actorId),
    ),
);

/** The class of the advisory locks that order fan-out against follows ("FEED"). */
const FEED_LOCKS = 0x46454544;

/**
 * On PostgreSQL, a transaction-long advisory lock on a member's feeds: shared while one of their
 * activities is written and fanned out, exclusive while someone follows or unfollows them. The two
 * then wait for each other instead of interleaving: otherwise a follow made meanwhile would miss
 * the activity (neither its backfill nor the fan-out sees the other's uncommitted row), and an
 * unfollow made meanwhile would leave it in the feed for good. An advisory lock, not the member's
 * row: a row lock taken this late in a write would be an upgrade of the foreign-key check's, and
 * deadlock with an account deletion waiting on that row.
 */
async function lockFeedsOf(trx: Db, userId: number, mode: 'shared' | 'exclusive'): Promise<void> {
  if (!locksRows(trx)) return;
  await (mode === 'shared' ? sql`select pg_advisory_xact_lock_shared(${FEED_LOCKS}, ${userId})` : sql`select pg_advisory_xact_lock(${FEED_LOCKS}, ${userId})`).execute(trx);
}

/**
 * Before a follow or unfollow (PostgreSQL): the followed member's feeds exclusively and the
 * follower's shared (the follow is an activity of theirs), in id order, before any other lock, so
 * that A following B while B follows A cannot deadlock.
 */
export async function lockFeedsForFollow(trx: Db, followerId: number, followedId: number): Promise<void> {
  const locks: [number, 'shared' | 'exclusive'][] = [
    [followerId, 'shared'],
    [followedId, 'exclusive'],
  ];
  for (const [userId, mode] of locks.sort((a, b) => a[0] - b[0])) await lockFeedsOf(trx, userId, mode);
}

const history = new AsyncLocalStorage<boolean>();

/**
 * Runs `work` as the writing of history, not news: the reviews, lists and items it makes through
 * their modules record no activity (an imported Letterboxd diary of 2,000 films would otherwise
 * fill every follower's feed with things done years ago, all dated today).
 */
export function asHistory<T>(work: () => Promise<T>): Promise<T> {
  return history.run(true, work);
}

/**
 * Records what a member did and puts it in each follower's feed, inside the caller's transaction
 * (so the thing and its activity are written, or not, together). Two statements whatever the
 * number of followers, under the shared lock of the member's feeds (`lockFeedsOf`).
 */
export async function recordActivity(trx: Db, a: NewActivity): Promise<void> {
  if (history.getStore() === true) return;
  await lockFeedsOf(trx, a.userId, 'shared');
  const row = await trx
    .insertInto('activities')
    .values({
      user_id: a.userId,
      type: a.type,
      created_at: nowIso(),
      movie_id: a.movieId ?? null,
      review_id: a.reviewId ?? null,
      diary_id: a.diaryId ?? null,
      watchlist_id: a.watchlistId ?? null,
      list_id: a.listId ?? null,
      follow_id: a.followId ?? null,
      followed_id: a.followedId ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await fanOut(trx, 'fan out', { activityId: row.id, actorId: a.userId });
}

/** A new follower's feed gets the followed member's latest FEED_BACKFILL activities. */
export async function feedFollowed(trx: Db, followerId: number, followedId: number): Promise<void> {
  await trx
    .insertInto('feed_items')
    .columns(['member_id', 'activity_id', 'actor_id'])
    .expression(
      trx
        .selectFrom('activities')
        .select([sql<number>`cast(${followerId} as integer)`.as('member_id'), 'id', 'user_id'])
        .where('user_id', '=', followedId)
        .orderBy('id', 'desc')
        .limit(FEED_BACKFILL),
    )
    .onConflict((oc) => oc.columns(['member_id', 'activity_id']).doNothing())
    .execute();
}

/** Unfollowing someone takes everything of theirs out of the member's feed. */
export async function feedUnfollowed(trx: Db, followerId: number, followedId: number): Promise<void> {
  await trx.deleteFrom('feed_items').where('member_id', '=', followerId).where('actor_id', '=', followedId).execute();
}

/**
 * Remakes every activity, and every feed, from what they are about, numbered in the order things
 * were done (their dates): for data loaded in bulk and dated afterwards (`seed --demo`), whose
 * activities were written in loading order. The follows decide who sees what, as on a write.
 */
export async function rebuildActivities(trx: Db): Promise<void> {
  await trx.deleteFrom('feed_items').execute();
  await trx.deleteFrom('activities').execute();
  await sql`insert into activities (user_id, type, created_at, movie_id, review_id, diary_id, watchlist_id, list_id, follow_id, followed_id)
    select user_id, type, created_at, movie_id, review_id, diary_id, watchlist_id, list_id, follow_id, followed_id from (
      select user_id, 'review' as type, created_at, movie_id, id as review_id, cast(null as integer) as diary_id, cast(null as integer) as watchlist_id,
        cast(null as integer) as list_id, cast(null as integer) as follow_id, cast(null as integer) as followed_id from reviews
      union all select user_id, 'diary', created_at, movie_id, null, id, null, null, null, null from diary_entries
      union all select user_id, 'watchlist', added_at, movie_id, null, null, id, null, null, null from watchlist
      union all select user_id, 'list', created_at, cast(null as integer), null, null, null, id, null, null from lists
      union all select follower_id, 'follow', created_at, cast(null as integer), null, null, null, null, id, followed_id from follows
    ) done order by created_at, type, user_id`.execute(trx);
  await sql`insert into feed_items (member_id, activity_id, actor_id)
    select f.follower_id, a.id, a.user_id from activities a join follows f on f.followed_id = a.user_id`.execute(trx);
}

/** An activity as stored, with its author's username: what the feed module makes an Activity of. */
export interface ActivityRow {
  id: number;
  type: ActivityType;
  created_at: string;
  user_id: number;
  username: string;
  movie_id: number | null;
  review_id: number | null;
  diary_id: number | null;
  list_id: number | null;
  followed_id: number | null;
}

const feedPage = prepared((db, shape: { after: boolean }, v: { memberId: number; before: number; limit: number }) =>
  db
    .selectFrom('feed_items')
    // A cross join with the condition in WHERE is an inner join on both databases, and on SQLite
    // it also fixes the order of the loops: feed_items outermost, walked down its primary key,
    // where the planner would otherwise start from activities' ids below the cursor.
    .crossJoin('activities')
    .innerJoin('users', 'users.id', 'activities.user_id')
    .leftJoin('lists', 'lists.id', 'activities.list_id')
    .select([
      'activities.id',
      'activities.type',
      'activities.created_at',
      'activities.user_id',
      'users.username',
      'activities.movie_id',
      'activities.review_id',
      'activities.diary_id',
      'activities.list_id',
      'activities.followed_id',
    ])
    .whereRef('activities.id', '=', 'feed_items.activity_id')
    .where('feed_items.member_id', '=', v.memberId)
    .$if(shape.after, (qb) => qb.where('feed_items.activity_id', '<', v.before))
    // A private list is never in anyone's feed; one made public later shows up.
    .where((eb) => eb.or([eb('activities.list_id', 'is', null), eb('lists.public', '=', 1)]))
    .orderBy('feed_items.activity_id', 'desc')
    .limit(v.limit),
);

/**
 * A page of a member's feed, newest first, strictly before the activity id `before` when given:
 * a walk down the primary key (member_id, activity_id) of feed_items, whose cost is the page's
 * size, not the feed's. Ids only grow, so a page that follows a cursor neither repeats nor skips
 * what it has already passed, however much is added above it meanwhile.
 */
export async function readFeed(db: Db, memberId: number, before: number | undefined, limit: number): Promise<ActivityRow[]> {
  return feedPage(db, { after: before !== undefined }, { memberId, before: before ?? 0, limit });
}
