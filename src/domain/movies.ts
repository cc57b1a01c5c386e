/**
 * What a movie may hold: the API validates by these (src/modules/movies/schemas.ts) and the
 * catalogue import skips what falls outside them (src/modules/catalogue), so the two never
 * disagree.
 */
export const MOVIE_LIMITS = {
  /** Title and original title, in characters (code points). */
  title: 200,
  synopsis: 5000,
  firstYear: 1878,
  lastYear: 2100,
  /** Minutes. */
  runtime: 100_000,
  directors: 20,
  /** A director's name, in characters. */
  directorName: 100,
} as const;
