import { type Kysely, sql } from 'kysely';
import type { Database } from '../../src/db/schema.js';
import { PRIOR_MEAN, PRIOR_WEIGHT } from '../../src/domain/ratings.js';

const buckets = Array.from({ length: 10 }, (_, i) => `OR m.hist_${i + 1} <> (SELECT COUNT(*) FROM ratings g WHERE g.movie_id = m.id AND g.halves = ${i + 1})`).join('\n     ');

/**
 * What differs from a recount, on either database, one row per thing (`what`): each movie's
 * review_count, rating_count, rating_sum, histogram and weighted average against its reviews and
 * ratings; each member's diary, follower and following counts; each review's likes and comments; each list's items; each review against its author's rating (same half stars, score rounded half up). The
 * service keeps all of them in the transaction of each write, so after any sequence of writes,
 * concurrent or not, this finds nothing.
 */
export const DRIFT_SQL = `
  SELECT 'movie ' || m.id AS what FROM movies m
   WHERE m.review_count <> (SELECT COUNT(*) FROM reviews r WHERE r.movie_id = m.id)
     OR m.rating_count <> (SELECT COUNT(*) FROM ratings g WHERE g.movie_id = m.id)
     OR m.rating_sum <> (SELECT COALESCE(SUM(g.halves), 0) FROM ratings g WHERE g.movie_id = m.id)
     ${buckets}
     OR ABS(m.weighted_rating - CASE WHEN m.rating_count = 0 THEN 0
            ELSE (m.rating_sum / 2.0 + ${PRIOR_WEIGHT * PRIOR_MEAN}) / (m.rating_count + ${PRIOR_WEIGHT}) END) > 1e-9
  UNION ALL
  SELECT 'user ' || u.id FROM users u
   WHERE u.diary_count <> (SELECT COUNT(*) FROM diary_entries d WHERE d.user_id = u.id)
     OR u.follower_count <> (SELECT COUNT(*) FROM follows f WHERE f.followed_id = u.id)
     OR u.following_count <> (SELECT COUNT(*) FROM follows f WHERE f.follower_id = u.id)
  UNION ALL
  SELECT 'review counts ' || r.id FROM reviews r
   WHERE r.like_count <> (SELECT COUNT(*) FROM review_likes l WHERE l.review_id = r.id)
     OR r.comment_count <> (SELECT COUNT(*) FROM comments c WHERE c.review_id = r.id)
  UNION ALL
  SELECT 'list ' || l.id FROM lists l
   WHERE l.item_count <> (SELECT COUNT(*) FROM list_items i WHERE i.list_id = l.id)
  UNION ALL
  SELECT 'review ' || r.id FROM reviews r
    LEFT JOIN ratings g ON g.user_id = r.user_id AND g.movie_id = r.movie_id
   WHERE g.halves IS NULL OR g.halves <> r.halves OR r.score <> (r.halves + 1) / 2`;

/**
 * Sets every movie's aggregates from its reviews and ratings, for tests that insert rows in bulk
 * (past the service, for speed) and then serve them.
 */
export async function recountMovies(db: Kysely<Database>): Promise<void> {
  const buckets = Array.from({ length: 10 }, (_, i) => sql`${sql.ref(`hist_${i + 1}`)} = (select count(*) from ratings g where g.movie_id = movies.id and g.halves = ${sql.lit(i + 1)})`);
  await sql`update movies set
      review_count = (select count(*) from reviews r where r.movie_id = movies.id),
      rating_count = (select count(*) from ratings g where g.movie_id = movies.id),
      rating_sum = (select coalesce(sum(g.halves), 0) from ratings g where g.movie_id = movies.id),
      ${sql.join(buckets)}`.execute(db);
  await sql`update movies set weighted_rating = case when rating_count = 0 then 0
      else (rating_sum / 2.0 + ${sql.lit(PRIOR_WEIGHT * PRIOR_MEAN)}) / (rating_count + ${sql.lit(PRIOR_WEIGHT)}) end`.execute(db);
}
