import { sql } from 'kysely';
import type { Db } from './connect.js';
import { locksRows } from './locks.js';
import { nowIso } from './time.js';
import { inTransaction } from './transaction.js';

/**
 * Indexes set aside for a bulk load into SQLite (migration 0010 says why). Dropping records each
 * index's definition in the same transaction, so the record and the schema never disagree;
 * building creates each recorded index that is missing and forgets the record, again in one
 * transaction. migrateToLatest builds whatever is recorded, so an index outlives a load that
 * was killed. PostgreSQL never defers (its loads are measured against other targets), so there
 * the table stays empty.
 */

/** Drops these indexes of `table`, recording them; those that do not exist are left alone. The names dropped. */
export async function deferIndexes(db: Db, table: string, names: readonly string[]): Promise<string[]> {
  if (locksRows(db) || names.length === 0) return [];
  return inTransaction(db, async (trx) => {
    const found = await trx
      .selectFrom(sql<{ type: string; name: string; tbl_name: string; sql: string | null }>`sqlite_master`.as('m'))
      .select(['m.name', 'm.sql'])
      .where('m.type', '=', 'index')
      .where('m.tbl_name', '=', table)
      .where('m.name', 'in', [...names])
      .execute();
    const deferredAt = nowIso();
    const dropped: string[] = [];
    for (const index of found) {
      // An automatic index (a UNIQUE constraint's) has no definition and cannot be dropped.
      if (index.sql === null) continue;
      await trx.insertInto('deferred_indexes').values({ name: index.name, definition: index.sql, deferred_at: deferredAt }).onConflict((c) => c.column('name').doNothing()).execute();
      await sql`drop index ${sql.id(index.name)}`.execute(trx);
      dropped.push(index.name);
    }
    return dropped;
  });
}

/**
 * Builds every recorded index that is missing and forgets the records: the names built. One
 * transaction an index, so a server's writes wait for one build at a time, not all of them.
 */
export async function buildDeferredIndexes(db: Db): Promise<string[]> {
  if (locksRows(db)) return [];
  const pending = await db.selectFrom('deferred_indexes').select('name').orderBy('name').execute();
  const built: string[] = [];
  for (const { name } of pending) {
    const done = await inTransaction(db, async (trx) => {
      const index = await trx.selectFrom('deferred_indexes').select(['name', 'definition']).where('name', '=', name).executeTakeFirst();
      // Another process (a server starting) built it meanwhile.
      if (index === undefined) return false;
      const exists = await trx
        .selectFrom(sql<{ type: string; name: string }>`sqlite_master`.as('m'))
        .select('m.name')
        .where('m.type', '=', 'index')
        .where('m.name', '=', name)
        .executeTakeFirst();
      // The definition is SQLite's own text of an index this database had.
      if (exists === undefined) await sql.raw(index.definition).execute(trx);
      await trx.deleteFrom('deferred_indexes').where('name', '=', name).execute();
      return exists === undefined;
    });
    if (done) built.push(name);
  }
  return built;
}
