/**
 * The closed sets of values more than one layer names (the database's CHECK constraints, the
 * schemas that validate and document requests, the code that branches on them), each spelled once.
 */

export const ROLES = ['user', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** What a movie may have one of each of. */
export const MEDIA_KINDS = ['poster', 'trailer'] as const;
export type MediaKind = (typeof MEDIA_KINDS)[number];

/** What a member's activity in their followers' feeds can be (community.md, Follows and the feed). */
export const ACTIVITY_TYPES = ['review', 'diary', 'watchlist', 'list', 'follow'] as const;
export type ActivityType = (typeof ACTIVITY_TYPES)[number];

/**
 * A movie's genres: IMDb's list (title.basics.tsv's `genres`), in lower case, so a catalogue
 * imported from IMDb keeps every genre it has. The web client names each in English and Spanish.
 */
export const GENRES = [
  'action', 'adult', 'adventure', 'animation', 'biography', 'comedy', 'crime', 'documentary', 'drama', 'family',
  'fantasy', 'film-noir', 'game-show', 'history', 'horror', 'music', 'musical', 'mystery', 'news', 'reality-tv',
  'romance', 'sci-fi', 'short', 'sport', 'talk-show', 'thriller', 'war', 'western',
] as const;
export type Genre = (typeof GENRES)[number];
