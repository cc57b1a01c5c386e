import type { Db } from './connect.js';

/**
 * Runs `work` in a transaction: its own, or the caller's when `db` already is one, so a write
 * that is whole by itself (a review, a diary entry) can also be one step of a bigger write (an
 * account's deletion, `seed --demo`) without nesting transactions, which Kysely refuses.
 */
export function inTransaction<T>(db: Db, work: (trx: Db) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db) : db.transaction().execute(work);
}
