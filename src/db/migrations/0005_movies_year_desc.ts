import { type Kysely, PostgresAdapter, sql } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * `sort=year&order=desc` lists movies newest year first and those without a year last. The
 * (year, id) index of 0001 gives that order on SQLite, which orders NULLs as the smallest value
 * and can walk an index for NULLS LAST either way, but not on PostgreSQL, where an ascending
 * index keeps NULLs last and so, walked backwards, first: there every such page sorted the whole
 * table (test/query-plans.test.ts). This index is that order itself on both databases (SQLite's
 * descending index already puts NULLs last; PostgreSQL is told so).
 */
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await sql`create index movies_year_desc_id on movies (year desc ${sql.raw(postgres ? 'nulls last' : '')}, id desc)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('movies_year_desc_id').execute();
}
