import type { Db } from '../../db/connect.js';
import { DomainError } from '../../domain/errors.js';
import { invalidField } from '../../domain/issues.js';
import { halvesOf, scoreOfHalves } from '../../domain/ratings.js';
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

/**
 * The half stars a review write asks for: `rating` as sent, or `score` as a whole-star rating;
 * both must agree (score = rating rounded half up), else 422 at `body.rating`. Undefined when
 * neither is sent, which a create or replace refuses as a missing `score` (the course's field).
 */
export function halvesOfReviewBody(body: { score?: number | undefined; rating?: number | undefined }, required: boolean): number | undefined {
  const { score, rating } = body;
  if (rating !== undefined) {
    const halves = halvesOf(rating);
    const expected = scoreOfHalves(halves);
    if (score !== undefined && score !== expected) throw invalidField(['body', 'rating'], 'rating_score_mismatch', { rating, score, expected_score: expected });
    return halves;
  }
  if (score !== undefined) return score * 2;
  if (required) throw invalidField(['body', 'score'], 'missing');
  return undefined;
}
