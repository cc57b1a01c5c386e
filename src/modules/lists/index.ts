/** The lists module: members' lists of movies, public or private, ranked or not. */
export { default as listRoutes } from './routes.js';
export { createList, findPublicListsByIds, putItem, searchPublicListIds } from './data.js';
export { List } from './schemas.js';
