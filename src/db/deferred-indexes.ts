import { sql } from 'kysely';
import type { Db } from './connect.js';
import { locksRows } from './locks.js';
import { nowIso } from './time.js';
import { inTransaction } from './transaction.js';

/**
 * Indexes set aside for a bulk load into SQLite (migration 0010 says why), and the triggers that
 * keep a full-text index in step with its table (`<table>_fts_insert`, `_update`, `_delete`,
 * migration 0009): an FTS5 document written a row at a time costs ~16 µs, ten times the row's own
 * insert, while rebuilding the whole index from its table at the end costs ~2 µs a row
 * (bench/import.ts). Dropping records each object's definition in the same transaction, so the
 * record and the schema never disagree; building creates each recorded object that is missing and
 * forgets its record, in a transaction an index, and a full-text index's triggers together with
 * its rebuild in one (a write between them would be missed or, deleting a row never indexed,
 * leave the index wrong). migrateToLatest builds whatever is recorded, so an index outlives a
 * load that was killed. PostgreSQL never defers (its loads are measured against other targets),
 * so there the table stays empty.
 */

/** The indexes and triggers of this database among `names`, with SQLite's text of each (null for a constraint's own index). */
function objectsNamed(db: Db, names: readonly string[]) {
  return db
    .selectFrom(sql<{ type: string; name: string; sql: string | null }>`sqlite_master`.as('m'))
    .select(['m.name', 'm.type', 'm.sql'])
    .where('m.type', 'in', ['index', 'trigger'])
    .where('m.name', 'in', [...names]);
}

/** The full-text index a trigger keeps in step (migration 0009's names), or undefined for an index. */
const fullTextOf = (name: string): string | undefined => /^(\w+_fts)_(?:insert|update|delete)$/.exec(name)?.[1];

/** The triggers of `fts` (those of its table that keep it in step). */
export const fullTextTriggers = (fts: string): string[] => ['insert', 'update', 'delete'].map((t) => `${fts}_${t}`);

/** Drops these indexes or triggers of `table`, recording them; those that do not exist are left alone. The names dropped. */
export async function deferIndexes(db: Db, table: string, names: readonly string[]): Promise<string[]> {
  if (locksRows(db) || names.length === 0) return [];
  return inTransaction(db, async (trx) => {
    const found = await objectsNamed(trx, names).where(sql.ref('m.tbl_name'), '=', table).execute();
    const deferredAt = nowIso();
    const dropped: string[] = [];
    for (const index of found) {
      // An automatic index (a UNIQUE constraint's) has no definition and cannot be dropped.
      if (index.sql === null) continue;
      await trx.insertInto('deferred_indexes').values({ name: index.name, definition: index.sql, deferred_at: deferredAt }).onConflict((c) => c.column('name').doNothing()).execute();
      await sql`drop ${sql.raw(index.type === 'trigger' ? 'trigger' : 'index')} ${sql.id(index.name)}`.execute(trx);
      dropped.push(index.name);
    }
    return dropped;
  });
}

/**
 * Builds every recorded index and trigger that is missing and forgets the records: the names
 * built. One transaction an index, so a server's writes wait for one build at a time, not all of
 * them; one for a full-text index's triggers and its rebuild.
 */
export async function buildDeferredIndexes(db: Db): Promise<string[]> {
  if (locksRows(db)) return [];
  const pending = await db.selectFrom('deferred_indexes').select('name').orderBy('name').execute();
  const groups = new Map<string, string[]>();
  for (const { name } of pending) {
    const key = fullTextOf(name) ?? name;
    groups.set(key, [...(groups.get(key) ?? []), name]);
  }
  const built: string[] = [];
  for (const [key, names] of groups) {
    const done = await inTransaction(db, async (trx) => {
      const records = await trx.selectFrom('deferred_indexes').select(['name', 'definition']).where('name', 'in', names).execute();
      // Another process (a server starting) built them meanwhile.
      if (records.length === 0) return [];
      const existing = new Set((await objectsNamed(trx, names).execute()).map((o) => o.name));
      const made: string[] = [];
      // The definitions are SQLite's own text of objects this database had.
      for (const r of records) {
        if (existing.has(r.name)) continue;
        await sql.raw(r.definition).execute(trx);
        made.push(r.name);
      }
      // The triggers are back: the index is made again from its table, whatever was written meanwhile.
      if (fullTextOf(names[0]!) !== undefined) await sql`insert into ${sql.id(key)} (${sql.id(key)}) values ('rebuild')`.execute(trx);
      await trx.deleteFrom('deferred_indexes').where('name', 'in', records.map((r) => r.name)).execute();
      return made;
    });
    built.push(...done);
  }
  return built;
}
