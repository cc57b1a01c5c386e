import { type Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * A bulk load into SQLite (the catalogue's first import) goes about twice as fast without the
 * indexes that each new row lands at a random place in (title, year): it drops them and builds
 * each once at the end, a sort instead of a million random inserts. This table remembers what
 * was dropped, with its exact definition, in the transaction that drops it, so that a load that
 * is killed before its end leaves a record that the next start of anything that migrates (the
 * server, the CLI) acts on, building the indexes again (src/db/deferred-indexes.ts), after the
 * migrations. So a later migration that drops or redefines one of the recorded indexes
 * (movies_title_key_id, movies_year_id, movies_year_desc_id), or the full-text triggers a first
 * load also sets aside (movies_fts_insert, _update, _delete), must first build what is recorded
 * (buildDeferredIndexes) or it would find the index missing, or see its old definition back;
 * or, as 0012 does for the full-text triggers, make them anew with the index rebuilt from its
 * table and delete their records, in one transaction.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('deferred_indexes')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('definition', 'text', (c) => c.notNull())
    .addColumn('deferred_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('deferred_indexes').execute();
}
