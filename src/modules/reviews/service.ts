import type { Db } from '../../db/connect.js';
import { DomainError } from '../../domain/errors.js';
import type { Principal } from '../../http/principal.js';
import { findReviewOwner } from './data.js';

/**
 * Who may do what to a review: its author may change it; its author or an administrator may
 * delete it. `review_not_found` for a review that is not there, whoever asks.
 */
export async function authorizeReview(db: Db, reviewId: number, caller: Principal, action: 'change' | 'delete'): Promise<void> {
  const owner = await findReviewOwner(db, reviewId);
  if (owner === undefined) throw new DomainError('review_not_found');
  if (owner === caller.userId) return;
  if (action === 'delete' && caller.role === 'admin') return;
  throw new DomainError(action === 'delete' ? 'not_review_author_or_admin' : 'not_review_author');
}
