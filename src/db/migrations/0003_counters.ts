import { type Kysely, PostgresAdapter, sql } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any */

// Fixed-window counters shared by all instances (login throttle, request rates): see
// src/counters/. Rewritten on every request and worthless after a crash, so on PostgreSQL the
// table is UNLOGGED (no WAL; emptied by crash recovery, which only forgets some counts). On
// SQLite the service counts in a side database instead; the table here keeps the schemas alike.
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable('counters')
    .$call((t) => (postgres ? t.modifyFront(sql`unlogged`) : t))
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('reset_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('counters_reset_at').on('counters').column('reset_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('counters').execute();
}
