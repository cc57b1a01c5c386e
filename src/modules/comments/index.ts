/** The comments module: members' comments under reviews (the reviews' comment_count is kept by the database). */
export { default as commentRoutes } from './routes.js';
export { createComment } from './data.js';
