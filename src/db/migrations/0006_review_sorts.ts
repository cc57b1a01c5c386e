import type { Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * Every review list (all reviews, a movie's, a user's) takes `sort` = id | created | rating, each
 * read by walking an index in that order and stopping after one page (test/query-plans.test.ts):
 * (key, id) for all reviews, and (filter, key, id) for a movie's or a user's, so the filter and
 * the order come from one index. Id order already has its indexes (the primary key,
 * reviews_movie_id_id, reviews_user_id_id).
 */
const SORT_COLUMNS = ['created_at', 'score'] as const;

export async function up(db: Kysely<any>): Promise<void> {
  for (const column of SORT_COLUMNS) {
    await db.schema.createIndex(`reviews_${column}_id`).on('reviews').columns([column, 'id']).execute();
    await db.schema.createIndex(`reviews_movie_id_${column}_id`).on('reviews').columns(['movie_id', column, 'id']).execute();
    await db.schema.createIndex(`reviews_user_id_${column}_id`).on('reviews').columns(['user_id', column, 'id']).execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const column of SORT_COLUMNS) {
    for (const name of [`reviews_${column}_id`, `reviews_movie_id_${column}_id`, `reviews_user_id_${column}_id`]) await db.schema.dropIndex(name).execute();
  }
}
