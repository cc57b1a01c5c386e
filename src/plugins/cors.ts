import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** The response headers a cross-origin script may read: paging, request ids, caching, new resources. */
const EXPOSED = ['X-Total-Count', 'Link', 'X-Request-Id', 'ETag', 'Location'];

/**
 * Cross-origin access for bearer-token clients on other origins, off unless CORS_ORIGINS lists
 * them. Never with credentials: the session cookie stays same-origin (plugins/auth.ts refuses a
 * cross-site cookie write anyway), so another site's script must hold a token.
 *
 * Registered before plugins/errors.ts on purpose: @fastify/cors adds an `OPTIONS *` route, which
 * the 405 logic there would otherwise count as a route on every path (an unknown path would answer
 * 405 instead of 404). Requests it does not answer (OPTIONS without CORS) still reach the
 * not-found handler, which answers OPTIONS with `Allow`.
 */
export default fp(
  async function corsPolicy(app: FastifyInstance) {
    const origins = app.config.corsOrigins;
    if (origins.length === 0) return;
    const allowed = new Set(origins);
    await app.register(cors, {
      // false (not a list) for any other origin, so that it gets no CORS header at all, preflight included.
      origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      allowedHeaders: ['Authorization', 'Content-Type'],
      exposedHeaders: EXPOSED,
      credentials: false,
      maxAge: 600,
    });
  },
  { name: 'cors-policy', decorators: { fastify: ['config'] }, dependencies: ['security-headers'] },
);
