/** The follows module: who follows whom (the counts on users are kept by the database); following fills the feed (activity module). */
export { default as followRoutes } from './routes.js';
export { follow } from './data.js';
