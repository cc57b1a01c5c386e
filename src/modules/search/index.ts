/** The search module: one query over the movies', reviews', members' and lists' full-text indexes (each kept by its own module). */
export { default as searchRoutes } from './routes.js';
