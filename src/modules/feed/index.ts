/** The feed module: a member's feed, read from the activity module's feed_items and filled out with what each activity is about. */
export { default as feedRoutes } from './routes.js';
