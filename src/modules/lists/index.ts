/** The lists module: members' lists of movies, public or private, ranked or not. */
export { default as listRoutes } from './routes.js';
export { findPublicListsByIds } from './data.js';
export { List } from './schemas.js';
