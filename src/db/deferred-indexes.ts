import { sql } from 'kysely';
import type { Db } from './connect.js';
import { locksRows } from './locks.js';
import { nowIso } from './time.js';
import { inTransaction } from './transaction.js';

/**
 * Indexes set aside for a bulk load into SQLite (migration 0010 says why). Dropping records each
 * index's definition in the same transaction, so the record and the schema never disagree;
 * building creates each recorded index that is missing and forgets its record, in a transaction
 * an index. migrateToLatest builds whatever is recorded, so an index outlives a load that
 * was killed. PostgreSQL never defers (its loads are measured against other targets), so there
 * the table stays empty.
 */

/** The indexes of this database among `names`, with SQLite's text of each (null for a constraint's own). */
function indexesNamed(db: Db, names: readonly string[]) {
  return db
    .selectFrom(sql<{ type: string; name: string; sql: string | null }>`sqlite_master`.as('m'))
    .select(['m.name', 'm.sql'])
    .where('m.type', '=', 'index')
    .where('m.name', 'in', [...names]);
}

/** Drops these indexes of `table`, recording them; those that do not exist are left alone. The names dropped. */
export async function deferIndexes(db: Db, table: string, names: readonly string[]): Promise<string[]> {
  if (locksRows(db) || names.length === 0) return [];
  return inTransaction(db, async (trx) => {
    const found = await indexesNamed(trx, names).where(sql.ref('m.tbl_name'), '=', table).execute();
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
      const exists = await indexesNamed(trx, [name]).executeTakeFirst();
      // The definition is SQLite's own text of an index this database had.
      if (exists === undefined) await sql.raw(index.definition).execute(trx);
      await trx.deleteFrom('deferred_indexes').where('name', '=', name).execute();
      return exists === undefined;
    });
    if (done) built.push(name);
  }
  return built;
}
