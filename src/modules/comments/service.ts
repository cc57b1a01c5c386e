import type { CounterStore } from '../../counters/store.js';
import type { Db } from '../../db/connect.js';
import { DomainError } from '../../domain/errors.js';
import type { Principal } from '../../http/principal.js';
import { commentDeleters } from './data.js';
import { COMMENTS_PER_MINUTE } from './schemas.js';

const MINUTE = 60_000;

/**
 * A member's comments a minute, counted per member (whatever address they post from, loopback
 * included) in the shared counters, so the limit holds across instances.
 */
export async function throttleComments(counters: CounterStore, userId: number): Promise<void> {
  const { count, resetAt } = await counters.hit(`comments:${userId}`, MINUTE);
  if (count > COMMENTS_PER_MINUTE) throw new DomainError('too_many_requests', { retry_after: Math.max(1, Math.ceil((resetAt - Date.now()) / 1000)) });
}

/** A comment may be deleted by its author, the author of the review it answers, or an administrator. */
export async function authorizeCommentDeletion(db: Db, id: number, caller: Principal): Promise<void> {
  const who = await commentDeleters(db, id);
  if (!who) throw new DomainError('comment_not_found');
  if (who.author === caller.userId || who.reviewAuthor === caller.userId || caller.role === 'admin') return;
  throw new DomainError('not_comment_deleter');
}
