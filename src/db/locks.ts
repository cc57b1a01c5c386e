import { PostgresAdapter } from 'kysely';
import type { Db } from './connect.js';

/**
 * True on PostgreSQL, where concurrent transactions really interleave (READ COMMITTED) and a row
 * that must not change under a transaction is locked with FOR UPDATE. SQLite runs one write
 * transaction at a time and has no FOR UPDATE.
 */
export function locksRows(db: Db): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

