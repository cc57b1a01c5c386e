import { type Kysely, PostgresAdapter, sql } from 'kysely';

// Migrations take `Kysely<any>`: they describe the schema, so they must not depend on its types.
/* eslint-disable @typescript-eslint/no-explicit-any */

function idType(db: Kysely<any>): 'serial' | 'integer' {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'serial' : 'integer';
}

export async function up(db: Kysely<any>): Promise<void> {
  const id = idType(db);

  await db.schema
    .createTable('users')
    .addColumn('id', id, (c) => c.primaryKey().$call((b) => (id === 'integer' ? b.autoIncrement() : b)))
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().defaultTo('user').check(sql`role in ('user', 'admin')`))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  // Usernames are unique ignoring case; the constraint, not a pre-check, decides under concurrency.
  await db.schema.createIndex('users_username_key').on('users').unique().expression(sql`lower(username)`).execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id', id, (c) => c.primaryKey().$call((b) => (id === 'integer' ? b.autoIncrement() : b)))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sessions_user_id').on('sessions').column('user_id').execute();
  await db.schema.createIndex('sessions_expires_at').on('sessions').column('expires_at').execute();

  await db.schema
    .createTable('movies')
    .addColumn('id', id, (c) => c.primaryKey().$call((b) => (id === 'integer' ? b.autoIncrement() : b)))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('title_key', 'text', (c) => c.notNull())
    .addColumn('year', 'integer')
    .addColumn('synopsis', 'text')
    .addColumn('review_count', 'integer', (c) => c.notNull().defaultTo(0).check(sql`review_count >= 0`))
    .addColumn('score_sum', 'integer', (c) => c.notNull().defaultTo(0).check(sql`score_sum >= 0`))
    .addColumn('average_score', 'double precision', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  // A missing year counts as a value of its own, so "Title" with no year is unique too.
  await db.schema
    .createIndex('movies_title_year_key')
    .on('movies')
    .unique()
    .expression(sql`title_key, coalesce(year, 0)`)
    .execute();
  // One index per sort order of the list endpoint, each ending in id for a stable order.
  for (const column of ['title_key', 'year', 'average_score', 'review_count', 'created_at']) {
    await db.schema.createIndex(`movies_${column}_id`).on('movies').columns([column, 'id']).execute();
  }

  await db.schema
    .createTable('reviews')
    .addColumn('id', id, (c) => c.primaryKey().$call((b) => (id === 'integer' ? b.autoIncrement() : b)))
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('movie_id', 'integer', (c) => c.notNull().references('movies.id').onDelete('cascade'))
    .addColumn('review', 'text', (c) => c.notNull())
    .addColumn('score', 'integer', (c) => c.notNull().check(sql`score between 1 and 5`))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('reviews_user_movie_key', ['user_id', 'movie_id'])
    .execute();
  await db.schema.createIndex('reviews_movie_id_id').on('reviews').columns(['movie_id', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['reviews', 'movies', 'sessions', 'users']) {
    await db.schema.dropTable(table).execute();
  }
}
