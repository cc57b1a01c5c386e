import { type Kysely, PostgresAdapter, sql } from 'kysely';
import { ACTIVITY_TYPES } from '../../domain/enums.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * The community: likes and comments on reviews (and the review's spoiler flag), follows, lists of
 * movies, and the activity the feed is made of.
 *
 * Every count shown on an object (a review's likes and comments, a member's followers and
 * following, a list's items) is kept by triggers, as diary_count is (0007): a trigger's
 * `n = n + 1` is atomic under the row's lock, so the count stays exact under any concurrency, and
 * rows that go by ON DELETE CASCADE (an account's deletion, a review's) are counted out too.
 *
 * The feed is written on write ("fan-out"): each activity is copied, as a (member, activity) row of
 * feed_items, to every follower of whoever did it, so a member's feed is one walk down the primary
 * key of feed_items, whomever they follow and however much the others do. Deleting what an
 * activity is about deletes the activity (its foreign keys cascade), and that deletes its
 * feed_items.
 */

function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** A counter on `parent` kept by the inserts and deletes of `child` (the column `fk` names the parent row). */
interface Counter {
  name: string;
  child: string;
  fk: string;
  parent: string;
  column: string;
}

const COUNTERS: Counter[] = [
  { name: 'review_likes_count', child: 'review_likes', fk: 'review_id', parent: 'reviews', column: 'like_count' },
  { name: 'comments_count', child: 'comments', fk: 'review_id', parent: 'reviews', column: 'comment_count' },
  { name: 'list_items_count', child: 'list_items', fk: 'list_id', parent: 'lists', column: 'item_count' },
];

async function createCounter(db: Kysely<any>, c: Counter): Promise<void> {
  const parent = sql.table(c.parent);
  const column = sql.ref(c.column);
  if (isPostgres(db)) {
    await sql`create function ${sql.raw(`${c.name}_track`)}() returns trigger language plpgsql as $$
      begin
        if tg_op = 'INSERT' then
          update ${parent} set ${column} = ${column} + 1 where id = new.${sql.raw(c.fk)};
        else
          update ${parent} set ${column} = ${column} - 1 where id = old.${sql.raw(c.fk)};
        end if;
        return null;
      end $$`.execute(db);
    await sql`create trigger ${sql.raw(c.name)} after insert or delete on ${sql.table(c.child)} for each row execute function ${sql.raw(`${c.name}_track`)}()`.execute(db);
  } else {
    await sql`create trigger ${sql.raw(`${c.name}_insert`)} after insert on ${sql.table(c.child)}
      begin update ${parent} set ${column} = ${column} + 1 where id = new.${sql.raw(c.fk)}; end`.execute(db);
    await sql`create trigger ${sql.raw(`${c.name}_delete`)} after delete on ${sql.table(c.child)}
      begin update ${parent} set ${column} = ${column} - 1 where id = old.${sql.raw(c.fk)}; end`.execute(db);
  }
}

async function dropCounter(db: Kysely<any>, c: Counter): Promise<void> {
  if (isPostgres(db)) {
    await sql`drop trigger ${sql.raw(c.name)} on ${sql.table(c.child)}`.execute(db);
    await sql`drop function ${sql.raw(`${c.name}_track`)}()`.execute(db);
  } else {
    await sql`drop trigger ${sql.raw(`${c.name}_insert`)}`.execute(db);
    await sql`drop trigger ${sql.raw(`${c.name}_delete`)}`.execute(db);
  }
}

/**
 * Both members' counts in one UPDATE. On PostgreSQL the two rows are first locked in id order
 * (`FOLLOW_LOCKS`), whoever follows whom, so A following B while B follows A cannot deadlock; the
 * UPDATE alone would lock them in the order it finds them, which is the table's physical order and
 * changes as rows are rewritten.
 */
const FOLLOW_LOCKS = (row: 'new' | 'old') =>
  sql.raw(`perform 1 from users where id in (${row}.follower_id, ${row}.followed_id) order by id for no key update`);
const FOLLOW_COUNTS = (row: 'new' | 'old', delta: '+ 1' | '- 1') => sql.raw(`update users set
    following_count = following_count + case when id = ${row}.follower_id then (0 ${delta}) else 0 end,
    follower_count = follower_count + case when id = ${row}.followed_id then (0 ${delta}) else 0 end
  where id in (${row}.follower_id, ${row}.followed_id)`);

export async function up(db: Kysely<any>): Promise<void> {
  const pg = isPostgres(db);
  const id = pg ? 'serial' : 'integer';
  const serial = (c: any) => c.primaryKey().$call((b: any) => (pg ? b : b.autoIncrement()));
  const bool = (name: string) => sql`${sql.ref(name)} in (0, 1)`;

  // Reviews: the spoiler flag, and the counts their likes and comments keep.
  await db.schema.alterTable('reviews').addColumn('spoiler', 'integer', (c) => c.notNull().defaultTo(0).check(bool('spoiler'))).execute();
  await db.schema.alterTable('reviews').addColumn('like_count', 'integer', (c) => c.notNull().defaultTo(0).check(sql`like_count >= 0`)).execute();
  await db.schema.alterTable('reviews').addColumn('comment_count', 'integer', (c) => c.notNull().defaultTo(0).check(sql`comment_count >= 0`)).execute();
  // sort=likes on each review list, as the other sorts (0006, 0007): all reviews, a movie's, a member's.
  for (const prefix of [[], ['movie_id'], ['user_id']]) {
    await db.schema.createIndex(['reviews', ...prefix, 'like_count', 'id'].join('_')).on('reviews').columns([...prefix, 'like_count', 'id']).execute();
  }

  await db.schema
    .createTable('review_likes')
    // The id orders "reviews I liked, last liked first", also for two likes in one millisecond.
    .addColumn('id', id, serial)
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('review_id', 'integer', (c) => c.notNull().references('reviews.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('review_likes_user_review_key', ['user_id', 'review_id'])
    .execute();
  await db.schema.createIndex('review_likes_user_id_id').on('review_likes').columns(['user_id', 'id']).execute();
  await db.schema.createIndex('review_likes_review_id').on('review_likes').column('review_id').execute();

  await db.schema
    .createTable('comments')
    .addColumn('id', id, serial)
    .addColumn('review_id', 'integer', (c) => c.notNull().references('reviews.id').onDelete('cascade'))
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('comments_review_id_id').on('comments').columns(['review_id', 'id']).execute();
  await db.schema.createIndex('comments_user_id').on('comments').column('user_id').execute();

  await db.schema.alterTable('users').addColumn('follower_count', 'integer', (c) => c.notNull().defaultTo(0).check(sql`follower_count >= 0`)).execute();
  await db.schema.alterTable('users').addColumn('following_count', 'integer', (c) => c.notNull().defaultTo(0).check(sql`following_count >= 0`)).execute();
  await db.schema
    .createTable('follows')
    .addColumn('id', id, serial)
    .addColumn('follower_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('followed_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('follows_follower_followed_key', ['follower_id', 'followed_id'])
    .addCheckConstraint('follows_not_self', sql`follower_id <> followed_id`)
    .execute();
  // Who a member follows and who follows them, latest first; the second also finds the followers
  // an activity is copied to. Each also holds the other member's id, so a page is read from the
  // index alone (and SQLite's planner never prefers skipping through the unique constraint's).
  await db.schema.createIndex('follows_follower_id_id').on('follows').columns(['follower_id', 'id', 'followed_id']).execute();
  await db.schema.createIndex('follows_followed_id_id').on('follows').columns(['followed_id', 'id', 'follower_id']).execute();
  if (pg) {
    await sql`create function follows_count_track() returns trigger language plpgsql as $$
      begin
        if tg_op = 'INSERT' then ${FOLLOW_LOCKS('new')}; ${FOLLOW_COUNTS('new', '+ 1')};
        else ${FOLLOW_LOCKS('old')}; ${FOLLOW_COUNTS('old', '- 1')}; end if;
        return null;
      end $$`.execute(db);
    await sql`create trigger follows_count after insert or delete on follows for each row execute function follows_count_track()`.execute(db);
  } else {
    await sql`create trigger follows_count_insert after insert on follows begin ${FOLLOW_COUNTS('new', '+ 1')}; end`.execute(db);
    await sql`create trigger follows_count_delete after delete on follows begin ${FOLLOW_COUNTS('old', '- 1')}; end`.execute(db);
  }

  await db.schema
    .createTable('lists')
    .addColumn('id', id, serial)
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('ranked', 'integer', (c) => c.notNull().defaultTo(0).check(bool('ranked')))
    .addColumn('public', 'integer', (c) => c.notNull().defaultTo(1).check(bool('public')))
    .addColumn('item_count', 'integer', (c) => c.notNull().defaultTo(0).check(sql`item_count >= 0`))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  // A member's lists, newest first; with `public` in it, what others may see is counted and paged
  // from the index alone.
  await db.schema.createIndex('lists_user_id_id').on('lists').columns(['user_id', 'id', 'public']).execute();

  // An item's position is not stored: it is its rank in (sort_key, movie_id) order, counted as it
  // is read, so positions are 1…n without gaps or repeats whatever removed an item (a movie's
  // deletion cascades through every list that holds it) and whatever two writers did at once.
  // sort_keys are spaced apart; an item moved between two neighbours takes the key halfway, and
  // the list is renumbered when there is no room left between them (lists/data.ts).
  await db.schema
    .createTable('list_items')
    .addColumn('list_id', 'integer', (c) => c.notNull().references('lists.id').onDelete('cascade'))
    .addColumn('movie_id', 'integer', (c) => c.notNull().references('movies.id').onDelete('cascade'))
    .addColumn('sort_key', 'bigint', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('added_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('list_items_pkey', ['list_id', 'movie_id'])
    .execute();
  await db.schema.createIndex('list_items_list_id_sort_key').on('list_items').columns(['list_id', 'sort_key', 'movie_id']).execute();
  await db.schema.createIndex('list_items_movie_id').on('list_items').column('movie_id').execute();

  for (const counter of COUNTERS) await createCounter(db, counter);
  if (pg) {
    // A movie's deletion takes its items off every list, and each item's trigger then updates its
    // list's count: the list's row would be locked after the item's, the reverse of a list write
    // (lists/data.ts locks the list, then moves items). Locking those lists first, in id order,
    // before the cascade starts keeps one order, so the two cannot deadlock.
    await sql`create function movies_lock_lists() returns trigger language plpgsql as $$
      begin
        perform 1 from lists where id in (select list_id from list_items where movie_id = old.id) order by id for no key update;
        return old;
      end $$`.execute(db);
    await sql`create trigger movies_lock_lists before delete on movies for each row execute function movies_lock_lists()`.execute(db);
  }

  // What members did, for their followers' feeds: one row per thing done, pointing at it. Each
  // pointer cascades, so what is deleted leaves every feed with it.
  const ref = (table: string) => (c: any) => c.references(`${table}.id`).onDelete('cascade');
  await db.schema
    .createTable('activities')
    .addColumn('id', id, serial)
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('type', 'text', (c) => c.notNull().check(sql`type in (${sql.join(ACTIVITY_TYPES.map((t) => sql.lit(t)))})`))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('movie_id', 'integer', ref('movies'))
    .addColumn('review_id', 'integer', ref('reviews'))
    .addColumn('diary_id', 'integer', ref('diary_entries'))
    .addColumn('watchlist_id', 'integer', ref('watchlist'))
    .addColumn('list_id', 'integer', ref('lists'))
    .addColumn('follow_id', 'integer', ref('follows'))
    .addColumn('followed_id', 'integer', ref('users'))
    .execute();
  // A new follower's feed is filled with what the followed member did, latest first.
  await db.schema.createIndex('activities_user_id_id').on('activities').columns(['user_id', 'id']).execute();
  // The cascades: each finds its activities through a (partial, so small) index.
  for (const column of ['movie_id', 'review_id', 'diary_id', 'watchlist_id', 'list_id', 'follow_id', 'followed_id']) {
    await db.schema.createIndex(`activities_${column}`).on('activities').column(column).where(sql.ref(column), 'is not', null).execute();
  }

  await db.schema
    .createTable('feed_items')
    .addColumn('member_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('activity_id', 'integer', (c) => c.notNull().references('activities.id').onDelete('cascade'))
    // Who did it: unfollowing someone takes their activities out of the member's feed by this.
    .addColumn('actor_id', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('feed_items_pkey', ['member_id', 'activity_id'])
    .execute();
  await db.schema.createIndex('feed_items_activity_id').on('feed_items').column('activity_id').execute();
  await db.schema.createIndex('feed_items_member_id_actor_id').on('feed_items').columns(['member_id', 'actor_id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('feed_items').execute();
  await db.schema.dropTable('activities').execute();
  if (isPostgres(db)) {
    await sql`drop trigger movies_lock_lists on movies`.execute(db);
    await sql`drop function movies_lock_lists()`.execute(db);
  }
  for (const counter of COUNTERS) await dropCounter(db, counter);
  await db.schema.dropTable('list_items').execute();
  await db.schema.dropTable('lists').execute();
  if (isPostgres(db)) {
    await sql`drop trigger follows_count on follows`.execute(db);
    await sql`drop function follows_count_track()`.execute(db);
  } else {
    await sql`drop trigger follows_count_insert`.execute(db);
    await sql`drop trigger follows_count_delete`.execute(db);
  }
  await db.schema.dropTable('follows').execute();
  await db.schema.alterTable('users').dropColumn('following_count').execute();
  await db.schema.alterTable('users').dropColumn('follower_count').execute();
  await db.schema.dropTable('comments').execute();
  await db.schema.dropTable('review_likes').execute();
  for (const prefix of [[], ['movie_id'], ['user_id']]) await db.schema.dropIndex(['reviews', ...prefix, 'like_count', 'id'].join('_')).execute();
  for (const column of ['comment_count', 'like_count', 'spoiler']) await db.schema.alterTable('reviews').dropColumn(column).execute();
}
