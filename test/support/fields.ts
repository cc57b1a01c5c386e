/**
 * The fields of each API object: the course's, and what community.md adds to them. The course's
 * clients read only theirs; a test that asserts an object's exact fields uses these, so a field
 * that appears without being in the contract fails it.
 */
export const COURSE_USER_FIELDS = ['created_at', 'id', 'role', 'username'];
export const COURSE_REVIEW_FIELDS = ['created_at', 'id', 'movie', 'review', 'score', 'updated_at', 'user_id', 'username'];
export const COURSE_MOVIE_FIELDS = ['average_score', 'created_at', 'id', 'poster_url', 'review_count', 'synopsis', 'title', 'trailer_url', 'updated_at', 'year'];

/** community.md: Ratings, Likes and comments, Follows, Profiles and avatars, Search and the catalogue. */
export const ADDED_USER_FIELDS = ['avatar_url', 'bio', 'diary_count', 'display_name', 'follower_count', 'following_count', 'rating_count', 'review_count'];
export const ADDED_REVIEW_FIELDS = ['comment_count', 'like_count', 'rating', 'spoiler'];
export const ADDED_MOVIE_FIELDS = ['rating_count', 'rating_histogram', 'original_title', 'directors', 'genres', 'runtime', 'imdb_id'];

export const USER_KEYS = [...COURSE_USER_FIELDS, ...ADDED_USER_FIELDS].sort();
export const REVIEW_KEYS = [...COURSE_REVIEW_FIELDS, ...ADDED_REVIEW_FIELDS].sort();
export const MOVIE_KEYS = [...COURSE_MOVIE_FIELDS, ...ADDED_MOVIE_FIELDS].sort();

/** What a new member's profile holds before they do anything. */
export const FRESH_PROFILE = { display_name: null, bio: null, avatar_url: null, review_count: 0, rating_count: 0, diary_count: 0, follower_count: 0, following_count: 0 };
