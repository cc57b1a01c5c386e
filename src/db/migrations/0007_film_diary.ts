import { type Kysely, PostgresAdapter, sql } from 'kysely';
import { MAX_HALVES, MIN_HALVES, PRIOR_MEAN, PRIOR_WEIGHT } from '../../domain/ratings.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * The film diary: half-star ratings (with or without a review), diary entries, the watchlist, and
 * profiles (display name, bio, avatar). Existing data is carried over: every review becomes its
 * author's rating of the movie at `rating = score`, and each movie's aggregates are recomputed
 * from the ratings, here, in the migration.
 *
 * Ratings are stored in whole half stars (`halves`, 1–10), so sums and the ten-bucket histogram
 * are exact integers. A review keeps the course's `score` and gains `halves`, the same value as its
 * author's rating row (both written in one transaction).
 */

const HALVES_CHECK = (column: string) => sql`${sql.ref(column)} between ${sql.lit(MIN_HALVES)} and ${sql.lit(MAX_HALVES)}`;
/** movies.hist_1 … hist_10: how many ratings of 1 … 10 halves. */
const HISTOGRAM = Array.from({ length: MAX_HALVES }, (_, i) => `hist_${i + 1}`);

function idType(db: Kysely<any>): 'serial' | 'integer' {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'serial' : 'integer';
}

export async function up(db: Kysely<any>): Promise<void> {
  const id = idType(db);
  const serial = (c: any) => c.primaryKey().$call((b: any) => (id === 'integer' ? b.autoIncrement() : b));

  await db.schema
    .createTable('ratings')
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('movie_id', 'integer', (c) => c.notNull().references('movies.id').onDelete('cascade'))
    .addColumn('halves', 'integer', (c) => c.notNull().check(HALVES_CHECK('halves')))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('ratings_pkey', ['user_id', 'movie_id'])
    .execute();
  // A movie's deletion cascades here: without it PostgreSQL reads the whole table for each one.
  await db.schema.createIndex('ratings_movie_id').on('ratings').column('movie_id').execute();
  await sql`insert into ratings (user_id, movie_id, halves, created_at, updated_at)
    select user_id, movie_id, score * 2, created_at, updated_at from reviews`.execute(db);

  // The default only fills the rows already there for a moment; the update sets them, and the
  // application always writes the value.
  await db.schema.alterTable('reviews').addColumn('halves', 'integer', (c) => c.notNull().defaultTo(2).check(HALVES_CHECK('halves'))).execute();
  await sql`update reviews set halves = score * 2`.execute(db);
  // A review list's sort=rating orders by the half-star rating now, on the same index layout as
  // before (migration 0006).
  for (const prefix of [[], ['movie_id'], ['user_id']]) {
    await db.schema.dropIndex(['reviews', ...prefix, 'score', 'id'].join('_')).execute();
    await db.schema.createIndex(['reviews', ...prefix, 'halves', 'id'].join('_')).on('reviews').columns([...prefix, 'halves', 'id']).execute();
  }

  // Movies: every rating counts now, not only reviews. average_score is computed from the sum and
  // count as it is read; the stored weighted average is what sort=rating walks.
  await db.schema.dropIndex('movies_average_score_id').execute();
  await db.schema.alterTable('movies').dropColumn('average_score').execute();
  await db.schema.alterTable('movies').dropColumn('score_sum').execute();
  await db.schema.alterTable('movies').addColumn('rating_count', 'integer', (c) => c.notNull().defaultTo(0).check(sql`rating_count >= 0`)).execute();
  await db.schema.alterTable('movies').addColumn('rating_sum', 'integer', (c) => c.notNull().defaultTo(0).check(sql`rating_sum >= 0`)).execute();
  for (const column of HISTOGRAM) {
    await db.schema.alterTable('movies').addColumn(column, 'integer', (c) => c.notNull().defaultTo(0).check(sql`${sql.ref(column)} >= 0`)).execute();
  }
  await db.schema.alterTable('movies').addColumn('weighted_rating', 'double precision', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.createIndex('movies_weighted_rating_id').on('movies').columns(['weighted_rating', 'id']).execute();

  const histogram = HISTOGRAM.map(
    (column, i) => sql`${sql.ref(column)} = (select count(*) from ratings r where r.movie_id = movies.id and r.halves = ${sql.lit(i + 1)})`,
  );
  await sql`update movies set
      rating_count = (select count(*) from ratings r where r.movie_id = movies.id),
      rating_sum = (select coalesce(sum(r.halves), 0) from ratings r where r.movie_id = movies.id),
      ${sql.join(histogram)}`.execute(db);
  await sql`update movies set weighted_rating = case when rating_count = 0 then 0
      else (rating_sum / 2.0 + ${sql.lit(PRIOR_WEIGHT * PRIOR_MEAN)}) / (rating_count + ${sql.lit(PRIOR_WEIGHT)}) end`.execute(db);

  await db.schema
    .createTable('diary_entries')
    .addColumn('id', id, serial)
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('movie_id', 'integer', (c) => c.notNull().references('movies.id').onDelete('cascade'))
    // 'YYYY-MM-DD': sorts as text, and means the same day on every dialect and in every time zone.
    .addColumn('watched_on', 'text', (c) => c.notNull())
    .addColumn('rewatch', 'integer', (c) => c.notNull().defaultTo(0).check(sql`rewatch in (0, 1)`))
    .addColumn('halves', 'integer', (c) => c.check(HALVES_CHECK('halves')))
    .addColumn('liked', 'integer', (c) => c.notNull().defaultTo(0).check(sql`liked in (0, 1)`))
    // A JSON array of strings: read and written whole with its entry, never searched in SQL.
    .addColumn('tags', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  // A member's diary, latest viewing first, read one page at a time whatever its length.
  await db.schema.createIndex('diary_entries_user_id_watched_on_id').on('diary_entries').columns(['user_id', 'watched_on', 'id']).execute();
  // "Is there a later viewing with a rating?" when an entry's rating would become the member's.
  await db.schema.createIndex('diary_entries_user_id_movie_id_watched_on_id').on('diary_entries').columns(['user_id', 'movie_id', 'watched_on', 'id']).execute();
  await db.schema.createIndex('diary_entries_movie_id').on('diary_entries').column('movie_id').execute();

  await db.schema
    .createTable('watchlist')
    // The id gives "last added first" a total order, also for two additions in one millisecond.
    .addColumn('id', id, serial)
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('movie_id', 'integer', (c) => c.notNull().references('movies.id').onDelete('cascade'))
    .addColumn('added_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('watchlist_user_movie_key', ['user_id', 'movie_id'])
    .execute();
  await db.schema.createIndex('watchlist_user_id_id').on('watchlist').columns(['user_id', 'id']).execute();
  await db.schema.createIndex('watchlist_movie_id').on('watchlist').column('movie_id').execute();

  await db.schema.alterTable('users').addColumn('display_name', 'text').execute();
  await db.schema.alterTable('users').addColumn('bio', 'text').execute();

  // Each member's number of diary entries, kept by triggers (as row_counts are, 0004): a diary's
  // X-Total-Count is then one primary-key read, not a count of 10,000 entries on every page, and
  // entries that go with their movie (ON DELETE CASCADE) are counted out too. One row per member:
  // only that member's own writes touch it.
  await db.schema.alterTable('users').addColumn('diary_count', 'integer', (c) => c.notNull().defaultTo(0).check(sql`diary_count >= 0`)).execute();
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`
      create function diary_count_track() returns trigger language plpgsql as $$
      begin
        if tg_op = 'INSERT' then
          update users set diary_count = diary_count + 1 where id = new.user_id;
        else
          update users set diary_count = diary_count - 1 where id = old.user_id;
        end if;
        return null;
      end $$`.execute(db);
    await sql`create trigger diary_entries_count after insert or delete on diary_entries for each row execute function diary_count_track()`.execute(db);
  } else {
    await sql`create trigger diary_entries_count_insert after insert on diary_entries
      begin update users set diary_count = diary_count + 1 where id = new.user_id; end`.execute(db);
    await sql`create trigger diary_entries_count_delete after delete on diary_entries
      begin update users set diary_count = diary_count - 1 where id = old.user_id; end`.execute(db);
  }

  // A member's avatar: like a movie's poster (media), one row pointing at its stored files.
  await db.schema
    .createTable('avatars')
    .addColumn('user_id', 'integer', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('key_prefix', 'text', (c) => c.notNull().unique())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('width', 'integer', (c) => c.notNull())
    .addColumn('height', 'integer', (c) => c.notNull())
    .addColumn('variants', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('avatars').execute();
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`drop trigger diary_entries_count on diary_entries`.execute(db);
    await sql`drop function diary_count_track()`.execute(db);
  } else {
    await sql`drop trigger diary_entries_count_insert`.execute(db);
    await sql`drop trigger diary_entries_count_delete`.execute(db);
  }
  await db.schema.alterTable('users').dropColumn('diary_count').execute();
  await db.schema.alterTable('users').dropColumn('bio').execute();
  await db.schema.alterTable('users').dropColumn('display_name').execute();
  await db.schema.dropTable('watchlist').execute();
  await db.schema.dropTable('diary_entries').execute();
  await db.schema.dropIndex('movies_weighted_rating_id').execute();
  for (const column of ['weighted_rating', ...HISTOGRAM, 'rating_sum', 'rating_count']) await db.schema.alterTable('movies').dropColumn(column).execute();
  await db.schema.alterTable('movies').addColumn('score_sum', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('movies').addColumn('average_score', 'double precision', (c) => c.notNull().defaultTo(0)).execute();
  await sql`update movies set score_sum = (select coalesce(sum(score), 0) from reviews r where r.movie_id = movies.id)`.execute(db);
  await sql`update movies set average_score = case when review_count = 0 then 0 else score_sum * 1.0 / review_count end`.execute(db);
  await db.schema.createIndex('movies_average_score_id').on('movies').columns(['average_score', 'id']).execute();
  for (const prefix of [[], ['movie_id'], ['user_id']]) {
    await db.schema.dropIndex(['reviews', ...prefix, 'halves', 'id'].join('_')).execute();
    await db.schema.createIndex(['reviews', ...prefix, 'score', 'id'].join('_')).on('reviews').columns([...prefix, 'score', 'id']).execute();
  }
  await db.schema.alterTable('reviews').dropColumn('halves').execute();
  await db.schema.dropTable('ratings').execute();
}
