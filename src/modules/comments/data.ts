import type { Db } from '../../db/connect.js';
import { isForeignKeyViolation } from '../../db/errors.js';
import { prepared } from '../../db/prepared.js';
import { nowIso } from '../../db/time.js';
import { inTransaction } from '../../db/transaction.js';
import { DomainError } from '../../domain/errors.js';
import { type Page, scanPlan } from '../../http/pagination.js';
import { findReviewOwner } from '../reviews/index.js';
import type { Comment } from './schemas.js';

function selectComments(db: Db) {
  return db
    .selectFrom('comments')
    .innerJoin('users', 'users.id', 'comments.user_id')
    .select(['comments.id', 'comments.review_id', 'comments.user_id', 'users.username', 'comments.text', 'comments.created_at']);
}

const commentCount = prepared((db, _shape: 'count', v: { reviewId: number }) => db.selectFrom('reviews').select('comment_count').where('id', '=', v.reviewId));

const commentPage = prepared((db, shape: { order: 'asc' | 'desc' }, v: { reviewId: number; limit: number; offset: number }) =>
  selectComments(db).where('comments.review_id', '=', v.reviewId).orderBy('comments.id', shape.order).limit(v.limit).offset(v.offset),
);

/** A page of a review's comments, oldest first (the total is the review's kept comment_count); undefined when there is no such review. */
export async function listComments(db: Db, reviewId: number, page: Page): Promise<{ comments: Comment[]; total: number } | undefined> {
  const [review] = await commentCount(db, 'count', { reviewId });
  if (!review) return undefined;
  const total = review.comment_count;
  const plan = scanPlan(page, total);
  if (plan === undefined) return { comments: [], total };
  const rows = await commentPage(db, { order: plan.reverse ? 'desc' : 'asc' }, { reviewId, limit: plan.limit, offset: plan.offset });
  return { comments: plan.reverse ? rows.reverse() : rows, total };
}

export async function findComment(db: Db, id: number): Promise<Comment | undefined> {
  return selectComments(db).where('comments.id', '=', id).executeTakeFirst();
}

/** Posts a comment; the review's comment_count follows by trigger. */
export async function createComment(db: Db, userId: number, reviewId: number, text: string): Promise<Comment> {
  try {
    return await inTransaction(db, async (trx) => {
      const row = await trx.insertInto('comments').values({ review_id: reviewId, user_id: userId, text, created_at: nowIso() }).returning('id').executeTakeFirstOrThrow();
      return (await selectComments(trx).where('comments.id', '=', row.id).executeTakeFirst())!;
    });
  } catch (err) {
    if (isForeignKeyViolation(err)) throw new DomainError((await findReviewOwner(db, reviewId)) === undefined ? 'review_not_found' : 'not_authenticated');
    throw err;
  }
}

/** Who may delete a comment: its author and the author of the review it is under. */
export async function commentDeleters(db: Db, id: number): Promise<{ author: number; reviewAuthor: number } | undefined> {
  const row = await db
    .selectFrom('comments')
    .innerJoin('reviews', 'reviews.id', 'comments.review_id')
    .select(['comments.user_id as author', 'reviews.user_id as reviewAuthor'])
    .where('comments.id', '=', id)
    .executeTakeFirst();
  return row;
}

export async function deleteComment(db: Db, id: number): Promise<boolean> {
  const result = await db.deleteFrom('comments').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
