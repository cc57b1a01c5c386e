/** The service module: liveness and readiness, for load balancers and orchestrators. */
export { default as serviceRoutes } from './routes.js';
