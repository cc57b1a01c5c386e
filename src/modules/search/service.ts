import type { Db } from '../../db/connect.js';
import { searchWords } from '../../domain/text.js';
import { findPublicListsByIds, searchPublicListIds } from '../lists/index.js';
import { searchMovies, toMovie } from '../movies/index.js';
import { findReviewsByIds, searchReviewIds } from '../reviews/index.js';
import { findUsersByIds, searchUserIds } from '../users/index.js';
import type { SearchResults } from './schemas.js';

/**
 * Searches movies, reviews, members and public lists for the words of `q`, each kind in its own
 * full-text index and ranked as that kind's README entry says. A query with no word (only
 * punctuation) finds nothing. A spoiler's text is not sent: that it matched is all a result says.
 */
export async function searchAll(db: Db, q: string, limit: number): Promise<SearchResults> {
  const words = searchWords(q);
  if (words.length === 0) return { movies: [], reviews: [], users: [], lists: [] };
  const [movies, reviewIds, userIds, listIds] = await Promise.all([
    searchMovies(db, words, limit),
    searchReviewIds(db, words, limit),
    searchUserIds(db, words, limit),
    searchPublicListIds(db, words, limit),
  ]);
  const [reviews, users, lists] = await Promise.all([findReviewsByIds(db, reviewIds), findUsersByIds(db, userIds), findPublicListsByIds(db, listIds)]);
  return {
    movies: movies.map(toMovie),
    reviews: reviews.map((r) => (r.spoiler ? { ...r, review: '' } : r)),
    users,
    lists,
  };
}
