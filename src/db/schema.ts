import type { MediaKind, Role } from '../domain/enums.js';
import type { Generated } from 'kysely';

/** Row shapes as stored. Timestamps are ISO 8601 UTC strings on every dialect, so they sort as text. */
export interface UsersTable {
  id: Generated<number>;
  username: string;
  password_hash: string;
  role: Role;
  created_at: string;
}

export interface SessionsTable {
  id: Generated<number>;
  /** SHA-256 of the secret the client holds; the secret itself is never stored. */
  token_hash: string;
  user_id: number;
  created_at: string;
  last_seen_at: string;
  /** Absolute expiry, fixed at creation. */
  expires_at: string;
}

export interface MoviesTable {
  id: Generated<number>;
  title: string;
  /** Lower-cased title: the case-insensitive unique key and search target. */
  title_key: string;
  year: number | null;
  synopsis: string | null;
  review_count: Generated<number>;
  score_sum: Generated<number>;
  /** score_sum / review_count, or 0 with no reviews; kept for the `sort=rating` index. */
  average_score: Generated<number>;
  created_at: string;
  updated_at: string;
}

export interface ReviewsTable {
  id: Generated<number>;
  user_id: number;
  movie_id: number;
  review: string;
  score: number;
  created_at: string;
  updated_at: string;
}

export interface MediaTable {
  movie_id: number;
  kind: MediaKind;
  /** Where its files are in the media store: `<key_prefix>/<variant>`. Unique per upload. */
  key_prefix: string;
  /** A short content hash; goes into `?v=` of the URL and into the ETag. */
  version: string;
  sha256: string;
  content_type: string;
  /** Bytes of the file as uploaded (bigint: trailers may pass 2 GiB on PostgreSQL). */
  size: number | string | bigint;
  width: number | null;
  height: number | null;
  /** JSON: variant name → { size, type } of each stored file. */
  variants: string;
  updated_at: string;
}

/** Exact row counts kept by triggers (migration 0004): a table's count is the sum of its shards. */
export interface RowCountsTable {
  name: 'movies' | 'reviews';
  shard: number;
  n: number;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  movies: MoviesTable;
  reviews: ReviewsTable;
  media: MediaTable;
  row_counts: RowCountsTable;
}
