import { type Kysely, PostgresAdapter, sql } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * Exact row counts of movies and reviews, kept by triggers, so that a page's X-Total-Count (and
 * the choice of scan direction for deep pages) costs a primary-key read instead of a count(*)
 * that reads the whole table on every request. Triggers rather than application code: a review
 * also disappears through ON DELETE CASCADE (its movie or its author deleted), which only the
 * database sees.
 *
 * The total is the sum of a table's rows here. On PostgreSQL each connection adds to its own
 * shard (backend pid mod 16), so concurrent review writes do not all queue on one hot row; a
 * transaction only ever touches its own shard, so shards add no lock-ordering deadlocks. SQLite
 * runs one writer at a time: one row per table is enough there.
 */
const TABLES = ['movies', 'reviews'] as const;

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('row_counts')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('shard', 'integer', (c) => c.notNull())
    .addColumn('n', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('row_counts_pkey', ['name', 'shard'])
    .execute();
  for (const table of TABLES) {
    await sql`insert into row_counts (name, shard, n) select ${sql.lit(table)}, 0, count(*) from ${sql.table(table)}`.execute(db);
  }

  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`
      create function row_counts_track() returns trigger language plpgsql as $$
      begin
        insert into row_counts (name, shard, n)
        values (tg_table_name, pg_backend_pid() % 16, case when tg_op = 'INSERT' then 1 else -1 end)
        on conflict (name, shard) do update set n = row_counts.n + excluded.n;
        return null;
      end $$`.execute(db);
    for (const table of TABLES) {
      await sql`create trigger ${sql.id(`${table}_row_count`)} after insert or delete on ${sql.table(table)}
        for each row execute function row_counts_track()`.execute(db);
    }
  } else {
    for (const table of TABLES) {
      await sql`create trigger ${sql.id(`${table}_row_count_insert`)} after insert on ${sql.table(table)}
        begin update row_counts set n = n + 1 where name = ${sql.lit(table)} and shard = 0; end`.execute(db);
      await sql`create trigger ${sql.id(`${table}_row_count_delete`)} after delete on ${sql.table(table)}
        begin update row_counts set n = n - 1 where name = ${sql.lit(table)} and shard = 0; end`.execute(db);
    }
  }

  // "My reviews" and ?user_id= list a user's reviews newest first: without (user_id, id) the
  // unique (user_id, movie_id) index finds them but a sort has to order them.
  await db.schema.createIndex('reviews_user_id_id').on('reviews').columns(['user_id', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('reviews_user_id_id').execute();
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    for (const table of TABLES) await sql`drop trigger ${sql.id(`${table}_row_count`)} on ${sql.table(table)}`.execute(db);
    await sql`drop function row_counts_track()`.execute(db);
  } else {
    for (const table of TABLES) {
      await sql`drop trigger ${sql.id(`${table}_row_count_insert`)}`.execute(db);
      await sql`drop trigger ${sql.id(`${table}_row_count_delete`)}`.execute(db);
    }
  }
  await db.schema.dropTable('row_counts').execute();
}
