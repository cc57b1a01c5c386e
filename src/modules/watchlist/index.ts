/**
 * The watchlist module: the movies each member means to see. The diary takes a movie off it when
 * the member logs it (`removeFromWatchlist`, in the entry's transaction).
 */
export { default as watchlistRoutes } from './routes.js';
export { addToWatchlist, insertImportedWatchlist, removeFromWatchlist, watchlisted } from './data.js';
