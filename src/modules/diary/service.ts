import type { Db } from '../../db/connect.js';
import { DomainError } from '../../domain/errors.js';
import { halvesOf } from '../../domain/ratings.js';
import type { Principal } from '../../http/principal.js';
import { findEntryOwner } from './data.js';

/** Only an entry's author may change or delete it; `diary_entry_not_found` for one that is not there. */
export async function authorizeEntry(db: Db, entryId: number, caller: Principal): Promise<void> {
  const owner = await findEntryOwner(db, entryId);
  if (owner === undefined) throw new DomainError('diary_entry_not_found');
  if (owner !== caller.userId) throw new DomainError('not_diary_owner');
}

/** Tags as kept: each trimmed (by the route's hook), the first spelling of a repeat kept, later ones (ignoring case) dropped. */
export function normalTags(tags: string[]): string[] {
  const seen = new Set<string>();
  return tags.filter((tag) => {
    const key = tag.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** A rating as sent (stars, or null for none) in half stars. */
export const halvesOrNull = (rating: number | null | undefined): number | null => (rating === null || rating === undefined ? null : halvesOf(rating));
