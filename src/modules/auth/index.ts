/**
 * The auth module: sessions and bearer tokens, the request hook that says who is calling, the
 * login throttle, and the routes that log in and out or need the password again.
 */
export { default as authPlugin } from './plugin.js';
export { default as authRoutes } from './routes.js';
export { createSession } from './data.js';
export { resetPassword } from './service.js';
