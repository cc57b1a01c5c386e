import type { ActivityType, MediaKind, Role } from '../domain/enums.js';
import type { Generated } from 'kysely';

/** Row shapes as stored. Timestamps are ISO 8601 UTC strings on every dialect, so they sort as text. */
export interface UsersTable {
  id: Generated<number>;
  username: string;
  password_hash: string;
  role: Role;
  created_at: string;
  display_name: string | null;
  bio: string | null;
  /** The member's diary entries, kept by triggers (migration 0007). */
  diary_count: Generated<number>;
  /** Members following this one, and members this one follows, kept by triggers (migration 0008). */
  follower_count: Generated<number>;
  following_count: Generated<number>;
  /** Optional, unique ignoring case; seen only by its owner and administrators (migration 0011). */
  email: string | null;
}

/** A pending password reset: one a member, the token only as its SHA-256 (migration 0011). */
export interface PasswordResetsTable {
  user_id: number;
  token_hash: string;
  created_at: string;
  expires_at: string;
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
  original_title: string | null;
  /** JSON array of names, as shown; each is also a row of movie_directors, for the filter. */
  directors: Generated<string>;
  /** JSON array of genre ids (src/domain/enums.ts); each is also a row of movie_genres. */
  genres: Generated<string>;
  /** Minutes. */
  runtime: number | null;
  /** `tt` and 7–9 digits; unique. */
  imdb_id: string | null;
  review_count: Generated<number>;
  /** Members who rated it, with or without a review. */
  rating_count: Generated<number>;
  /** Sum of its ratings in half stars. */
  rating_sum: Generated<number>;
  /** How many ratings of 1 … 10 half stars (the histogram). */
  hist_1: Generated<number>;
  hist_2: Generated<number>;
  hist_3: Generated<number>;
  hist_4: Generated<number>;
  hist_5: Generated<number>;
  hist_6: Generated<number>;
  hist_7: Generated<number>;
  hist_8: Generated<number>;
  hist_9: Generated<number>;
  hist_10: Generated<number>;
  /** The Bayesian average of src/domain/ratings.ts, 0 when unrated; kept for the `sort=rating` index. */
  weighted_rating: Generated<number>;
  created_at: string;
  updated_at: string;
}

/** One genre of a movie: the genre filter's index (migration 0009). */
export interface MovieGenresTable {
  genre: string;
  movie_id: number;
}

/** One director of a movie, by a key that ignores case and accents: the director filter's index. */
export interface MovieDirectorsTable {
  name_key: string;
  movie_id: number;
}

export interface ReviewsTable {
  id: Generated<number>;
  user_id: number;
  movie_id: number;
  review: string;
  /** The course's whole-number score: `halves` rounded half up. */
  score: number;
  /** The author's rating of the movie, in half stars (the same as their ratings row). */
  halves: number;
  /** 0 or 1: the text gives the film away, and the web client hides it until asked. */
  spoiler: Generated<number>;
  /** Kept by triggers on review_likes and comments (migration 0008). */
  like_count: Generated<number>;
  comment_count: Generated<number>;
  created_at: string;
  updated_at: string;
}

/** A member's rating of a movie, with or without a review: at most one per member and movie. */
export interface RatingsTable {
  user_id: number;
  movie_id: number;
  /** 1–10 half stars. */
  halves: number;
  created_at: string;
  updated_at: string;
}

/** One viewing of a movie by a member. */
export interface DiaryEntriesTable {
  id: Generated<number>;
  user_id: number;
  movie_id: number;
  /** 'YYYY-MM-DD'. */
  watched_on: string;
  /** 0 or 1. */
  rewatch: number;
  halves: number | null;
  /** 0 or 1. */
  liked: number;
  /** JSON array of strings. */
  tags: string;
  created_at: string;
  updated_at: string;
}

export interface WatchlistTable {
  id: Generated<number>;
  user_id: number;
  movie_id: number;
  added_at: string;
}

/** A member's current avatar: the stored files of its square crops. */
export interface AvatarsTable {
  user_id: number;
  key_prefix: string;
  version: string;
  sha256: string;
  content_type: string;
  size: number | string | bigint;
  width: number;
  height: number;
  /** JSON: variant name → { size, type }. */
  variants: string;
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

export interface ReviewLikesTable {
  id: Generated<number>;
  user_id: number;
  review_id: number;
  created_at: string;
}

export interface CommentsTable {
  id: Generated<number>;
  review_id: number;
  user_id: number;
  text: string;
  created_at: string;
}

export interface FollowsTable {
  id: Generated<number>;
  follower_id: number;
  followed_id: number;
  created_at: string;
}

export interface ListsTable {
  id: Generated<number>;
  user_id: number;
  title: string;
  description: string | null;
  /** 0 or 1. */
  ranked: number;
  /** 0 or 1. */
  public: number;
  /** Kept by triggers on list_items (migration 0008). */
  item_count: Generated<number>;
  created_at: string;
  updated_at: string;
}

/** A movie on a list. Its position is its rank by (sort_key, movie_id), counted as it is read. */
export interface ListItemsTable {
  list_id: number;
  movie_id: number;
  sort_key: number | string | bigint;
  note: string | null;
  added_at: string;
}

/** One thing a member did, pointing at it (one of the *_id columns, by type). */
export interface ActivitiesTable {
  id: Generated<number>;
  user_id: number;
  type: ActivityType;
  created_at: string;
  movie_id: number | null;
  review_id: number | null;
  diary_id: number | null;
  watchlist_id: number | null;
  list_id: number | null;
  follow_id: number | null;
  followed_id: number | null;
}

/** An activity in a member's feed: copied to each follower when it happens (fan-out on write). */
export interface FeedItemsTable {
  member_id: number;
  activity_id: number;
  actor_id: number;
}

/** Indexes a bulk load dropped, to build again at its end or, if it died, at the next start (migration 0010). */
export interface DeferredIndexesTable {
  name: string;
  /** The index's CREATE INDEX statement, as SQLite stored it. */
  definition: string;
  deferred_at: string;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  movies: MoviesTable;
  movie_genres: MovieGenresTable;
  movie_directors: MovieDirectorsTable;
  reviews: ReviewsTable;
  media: MediaTable;
  ratings: RatingsTable;
  diary_entries: DiaryEntriesTable;
  watchlist: WatchlistTable;
  avatars: AvatarsTable;
  review_likes: ReviewLikesTable;
  comments: CommentsTable;
  follows: FollowsTable;
  lists: ListsTable;
  list_items: ListItemsTable;
  activities: ActivitiesTable;
  feed_items: FeedItemsTable;
  row_counts: RowCountsTable;
  deferred_indexes: DeferredIndexesTable;
  password_resets: PasswordResetsTable;
}
