import type { Db } from '../../db/connect.js';
import { DomainError } from '../../domain/errors.js';
import type { Principal } from '../../http/principal.js';
import { findList } from './data.js';
import type { List } from './schemas.js';

/**
 * The list a caller may see: a private list is `list_not_found` to everyone but its owner, so its
 * existence is as private as its content (admins included: they moderate what is public).
 */
export async function visibleList(db: Db, id: number, caller: Principal | undefined): Promise<List> {
  const list = await findList(db, id);
  if (!list || (!list.public && list.user_id !== caller?.userId)) throw new DomainError('list_not_found');
  return list;
}

/** A list its owner may change (others: 403 for a public list, 404 for a private one); an admin may also delete a public one. */
export async function authorizeList(db: Db, id: number, caller: Principal, action: 'change' | 'delete'): Promise<List> {
  const list = await visibleList(db, id, caller);
  if (list.user_id === caller.userId) return list;
  if (action === 'delete' && caller.role === 'admin') return list;
  throw new DomainError(action === 'delete' ? 'not_list_owner_or_admin' : 'not_list_owner');
}
