/**
 * The movies module: the catalogue, each movie's review aggregates (moved by the reviews module
 * through `adjustScores`), and its poster and trailer routes (the media module's, registered here).
 */
export { default as movieRoutes } from './routes.js';
export { adjustScores, insertMovie, movieExists } from './data.js';
export { Movie } from './schemas.js';
