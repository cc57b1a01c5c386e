/**
 * The movies module: the catalogue, each movie's rating and review aggregates (moved by the
 * reviews module through `adjustRatings` and `adjustReviewCount`), and its poster and trailer
 * routes (the media module's, registered here).
 */
export { default as movieRoutes } from './routes.js';
export { type MovieRow, type RatingChange, adjustRatings, adjustReviewCount, insertMovie, lockMovies, movieExists, MAX_CANDIDATES, moviesTitled, searchMovies, selectMovies, type TitleCandidate, titleCandidates } from './data.js';
export { findMoviesByIds, toMovie } from './service.js';
export { Movie } from './schemas.js';
