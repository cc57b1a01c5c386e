/** The likes module: members' likes of reviews (the reviews' like_count is kept by the database). */
export { default as likeRoutes } from './routes.js';
export { likeReview } from './data.js';
