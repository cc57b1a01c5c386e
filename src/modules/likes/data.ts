import type { Db } from '../../db/connect.js';
import { isForeignKeyViolation } from '../../db/errors.js';
import { prepared } from '../../db/prepared.js';
import { nowIso } from '../../db/time.js';
import { DomainError } from '../../domain/errors.js';
import { type Page, scanPlan } from '../../http/pagination.js';
import { type Review, findReviewOwner, findReviewsByIds } from '../reviews/index.js';

const likeInsert = prepared((db, _shape: 'like', v: { userId: number; reviewId: number; now: string }) =>
  db
    .insertInto('review_likes')
    .values({ user_id: v.userId, review_id: v.reviewId, created_at: v.now })
    // A second like changes nothing: the unique (user_id, review_id) decides, also for two at once.
    .onConflict((oc) => oc.columns(['user_id', 'review_id']).doNothing()),
);

/** Likes a review; idempotent. The review's like_count follows by trigger (migration 0008). */
export async function likeReview(db: Db, userId: number, reviewId: number): Promise<void> {
  try {
    await likeInsert(db, 'like', { userId, reviewId, now: nowIso() });
  } catch (err) {
    // The review is gone (or the member, mid-deletion of their account).
    if (isForeignKeyViolation(err)) throw new DomainError((await findReviewOwner(db, reviewId)) === undefined ? 'review_not_found' : 'not_authenticated');
    throw err;
  }
}

const likeDelete = prepared((db, _shape: 'unlike', v: { userId: number; reviewId: number }) =>
  db.deleteFrom('review_likes').where('user_id', '=', v.userId).where('review_id', '=', v.reviewId),
);

/** Takes a like back; idempotent, but a review that does not exist is `review_not_found`. */
export async function unlikeReview(db: Db, userId: number, reviewId: number): Promise<void> {
  await likeDelete(db, 'unlike', { userId, reviewId });
  if ((await findReviewOwner(db, reviewId)) === undefined) throw new DomainError('review_not_found');
}

const likeCount = prepared((db, _shape: 'count', v: { userId: number }) =>
  db.selectFrom('review_likes').select((eb) => eb.fn.countAll<number | string>().as('n')).where('user_id', '=', v.userId),
);

const likePage = prepared((db, shape: { order: 'asc' | 'desc' }, v: { userId: number; limit: number; offset: number }) =>
  db.selectFrom('review_likes').select('review_id').where('user_id', '=', v.userId).orderBy('id', shape.order).limit(v.limit).offset(v.offset),
);

/** The reviews a member liked, last liked first, walking the (user_id, id) index. */
export async function listLikedReviews(db: Db, userId: number, page: Page): Promise<{ reviews: Review[]; total: number }> {
  const total = Number((await likeCount(db, 'count', { userId }))[0]!.n);
  const plan = scanPlan(page, total);
  if (plan === undefined) return { reviews: [], total };
  const rows = await likePage(db, { order: plan.reverse ? 'asc' : 'desc' }, { userId, limit: plan.limit, offset: plan.offset });
  const ids = (plan.reverse ? rows.reverse() : rows).map((r) => r.review_id);
  return { reviews: await findReviewsByIds(db, ids), total };
}

/** Which of these reviews the member likes. */
export async function likedAmong(db: Db, userId: number, reviewIds: number[]): Promise<Set<number>> {
  const rows = await db.selectFrom('review_likes').select('review_id').where('user_id', '=', userId).where('review_id', 'in', reviewIds).execute();
  return new Set(rows.map((r) => r.review_id));
}
