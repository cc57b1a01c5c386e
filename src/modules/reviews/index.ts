/**
 * The reviews module: members' half-star ratings of movies, with or without text (a review is a
 * rating with text), every review list, and the movie aggregates each write keeps exact (through
 * the movies module).
 */
export { default as reviewRoutes } from './routes.js';
export { createReview, findReviewOwner, findReviewsByIds, searchReviewIds } from './data.js';
export { deleteRatingsOfUser, foreignKeyError, lockRating, writeRating } from './ratings.js';
export { Rating, Review } from './schemas.js';
