/**
 * The reviews module: one review per user and movie, every review list, and the movie aggregates
 * each review write keeps exact (through the movies module).
 */
export { default as reviewRoutes } from './routes.js';
export { createReview, deleteReviewsOfUser } from './data.js';
export { Review } from './schemas.js';
