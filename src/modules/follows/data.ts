import type { Db } from '../../db/connect.js';
import { isForeignKeyViolation } from '../../db/errors.js';
import { prepared } from '../../db/prepared.js';
import { nowIso } from '../../db/time.js';
import { inTransaction } from '../../db/transaction.js';
import { DomainError } from '../../domain/errors.js';
import { type Page, scanPlan } from '../../http/pagination.js';
import { feedFollowed, feedUnfollowed, lockFeedsForFollow, recordActivity } from '../activity/index.js';
import { type User, findUsersByIds, userExists } from '../users/index.js';

const followInsert = prepared((db, _shape: 'follow', v: { followerId: number; followedId: number; now: string }) =>
  db
    .insertInto('follows')
    .values({ follower_id: v.followerId, followed_id: v.followedId, created_at: v.now })
    .onConflict((oc) => oc.columns(['follower_id', 'followed_id']).doNothing())
    .returning('id'),
);

/**
 * Follows a member, idempotently: the follow, its activity for the follower's own followers, and
 * the followed member's latest doings into the follower's feed, in one transaction. The counts on
 * both users follow by trigger (migration 0008).
 */
export async function follow(db: Db, followerId: number, followedId: number): Promise<void> {
  try {
    await inTransaction(db, async (trx) => {
      await lockFeedsForFollow(trx, followerId, followedId);
      const [made] = await followInsert(trx, 'follow', { followerId, followedId, now: nowIso() });
      if (!made) return; // already following
      await feedFollowed(trx, followerId, followedId);
      await recordActivity(trx, { type: 'follow', userId: followerId, followId: made.id, followedId });
    });
  } catch (err) {
    if (isForeignKeyViolation(err)) throw new DomainError((await userExists(db, followedId)) ? 'not_authenticated' : 'user_not_found');
    throw err;
  }
}

/** Stops following, idempotently; their activity leaves the member's feed, and the follow's own activity goes with it (cascade). */
export async function unfollow(db: Db, followerId: number, followedId: number): Promise<void> {
  await inTransaction(db, async (trx) => {
    await lockFeedsForFollow(trx, followerId, followedId);
    const gone = await trx.deleteFrom('follows').where('follower_id', '=', followerId).where('followed_id', '=', followedId).executeTakeFirst();
    if (Number(gone.numDeletedRows) > 0) await feedUnfollowed(trx, followerId, followedId);
  });
  if (!(await userExists(db, followedId))) throw new DomainError('user_not_found');
}

export type FollowSide = 'followers' | 'following';

/** For each side: the column that names the member whose list it is, and the one that names who is listed. */
const SIDES = {
  followers: { of: 'followed_id', listed: 'follower_id' },
  following: { of: 'follower_id', listed: 'followed_id' },
} as const satisfies Record<FollowSide, { of: string; listed: string }>;

const sideCount = prepared((db, shape: FollowSide, v: { userId: number }) =>
  db.selectFrom('users').select(shape === 'followers' ? 'follower_count as n' : 'following_count as n').where('id', '=', v.userId),
);

const sidePage = prepared((db, shape: { side: FollowSide; order: 'asc' | 'desc' }, v: { userId: number; limit: number; offset: number }) =>
  db
    .selectFrom('follows')
    // Not aliased "id": ORDER BY id would then sort by the alias, not by when the follow was made.
    .select(`${SIDES[shape.side].listed} as member_id`)
    .where(SIDES[shape.side].of, '=', v.userId)
    .orderBy('follows.id', shape.order)
    .limit(v.limit)
    .offset(v.offset),
);

/**
 * A page of a member's followers or of whom they follow, latest follow first, walking the
 * (followed_id, id) or (follower_id, id) index; the total is the count kept on the member's row.
 * Undefined when there is no such member.
 */
export async function listFollows(db: Db, userId: number, side: FollowSide, page: Page): Promise<{ users: User[]; total: number } | undefined> {
  const [member] = await sideCount(db, side, { userId });
  if (!member) return undefined;
  const total = member.n;
  const plan = scanPlan(page, total);
  if (plan === undefined) return { users: [], total };
  const rows = await sidePage(db, { side, order: plan.reverse ? 'asc' : 'desc' }, { userId, limit: plan.limit, offset: plan.offset });
  return { users: await findUsersByIds(db, (plan.reverse ? rows.reverse() : rows).map((r) => r.member_id)), total };
}

/** Which of these members the caller follows. */
export async function followedAmong(db: Db, followerId: number, ids: number[]): Promise<Set<number>> {
  const rows = await db.selectFrom('follows').select('followed_id').where('follower_id', '=', followerId).where('followed_id', 'in', ids).execute();
  return new Set(rows.map((r) => r.followed_id));
}
