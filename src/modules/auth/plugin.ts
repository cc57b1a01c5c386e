import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { DomainError } from '../../domain/errors.js';
import { type AuthLevel, UNSAFE_METHODS } from '../../http/principal.js';
import { errors } from '../../http/schemas.js';
import { prepareDummyHash } from '../../security/passwords.js';
import { sessionCookieName } from './cookies.js';
import { type SessionPolicy, findSession, purgeExpiredSessions } from './data.js';
import { looksLikeSecret } from './tokens.js';

/** How often sessions past their limits are deleted, so the table does not grow forever. */
const PURGE_INTERVAL_MS = 3600_000;

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match ? match[1] : '';
}

/**
 * True when a browser tells us the request comes from another origin. Sec-Fetch-Site is the direct
 * answer; older browsers send Origin. Clients that send neither (curl, scripts) are not browsers
 * being tricked, so they pass.
 */
function isCrossSite(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string') return site !== 'same-origin' && site !== 'none';
  const origin = request.headers.origin;
  if (typeof origin !== 'string') return false;
  try {
    // An origin is scheme, host and port (RFC 6454): http://host:port is another site than
    // https://host:port, and a page served over plain HTTP must not write to the HTTPS one. Both
    // sides go through URL, so "Host: example.com:80" matches "Origin: http://example.com".
    return new URL(origin).origin !== new URL(`${request.protocol}://${request.host}`).origin;
  } catch {
    return true; // "null" and other opaque origins
  }
}

/**
 * Who is calling, for every route that says who may (`config.auth`, src/http/principal.ts): a
 * bearer token or the session cookie, looked up in the database on each request (a logout is
 * refused everywhere at once), and refused from another site when it rides on the cookie. Also
 * the hourly purge of expired sessions. Global (fastify-plugin), and registered before the routes
 * it guards, whose documentation it completes as they are added.
 */
export default fp(
  async function auth(app: FastifyInstance) {
    const policy: SessionPolicy = { idleTimeout: app.config.sessionIdleTimeout, maxAge: app.config.sessionMaxAge };
    app.decorateRequest('principal', null);
    // Started, not awaited: readiness need not wait for an argon2 hash (35 ms); a login of an
    // unknown user in the first moments waits for it instead (security/passwords.ts).
    app.addHook('onReady', async () => {
      prepareDummyHash().catch((err: unknown) => app.log.error({ err }, 'could not prepare the dummy password hash'));
    });

    const purge = setInterval(() => {
      purgeExpiredSessions(app.db, policy).catch((err: unknown) => app.log.warn({ err }, 'session purge failed'));
    }, PURGE_INTERVAL_MS);
    purge.unref();
    app.addHook('onClose', async () => clearInterval(purge));

    // Routes say who may call them in `config.auth`; the docs learn it from the same place.
    app.addHook('onRoute', (route) => {
      const level = route.config?.auth;
      if (!level || !route.schema) return;
      // Optional: `{}` is OpenAPI's "or nothing at all".
      route.schema.security = [{ OAuth2PasswordBearer: [] }, { sessionCookie: [] }, ...(level === 'optional' ? [{}] : [])];
      route.schema.response = { ...errors(...(level === 'admin' ? [401, 403] : [401])), ...(route.schema.response as object) };
    });

    // Who is calling, once the route's level is known to need it. A callback hook, with the
    // database only where a secret was sent: an async one costs every request a promise and a
    // microtask, /healthz and the catalogue's anonymous reads included.
    const authenticate = async (request: FastifyRequest, reply: FastifyReply, level: AuthLevel, token: string | undefined, secret: string): Promise<void> => {
      const session = looksLikeSecret(secret) ? await findSession(app.db, secret, policy) : undefined;
      // A stale cookie on a page anyone may see leaves the visitor anonymous; a bad bearer token
      // is an error the client should hear about.
      if (!session && level === 'optional' && token === undefined) return;
      if (!session) throw new DomainError(token !== undefined ? 'invalid_token' : 'invalid_session');
      const via = token !== undefined ? 'bearer' : 'cookie';
      if (via === 'cookie' && UNSAFE_METHODS.has(request.method) && isCrossSite(request)) throw new DomainError('cross_site');
      request.principal = { ...session, via };
      // An answer for one signed-in person: no shared cache may keep it or hand it to another.
      reply.header('cache-control', 'private, no-cache');
      reply.header('vary', 'Authorization, Cookie');
      if (level === 'admin' && session.role !== 'admin') throw new DomainError('admin_required');
    };

    app.addHook('onRequest', (request, reply, done) => {
      const { auth: level, sameOrigin } = request.routeOptions.config;
      if (sameOrigin && UNSAFE_METHODS.has(request.method) && isCrossSite(request)) return done(new DomainError('cross_site'));
      if (!level) return done();

      // A bearer token, when present, decides alone: a stale cookie beside it is not consulted.
      const token = bearerToken(request);
      // Under HTTPS only the __Host- cookie counts: a plain one could have been planted by a subdomain.
      const secret = token ?? request.cookies[sessionCookieName(request)];
      if (level === 'optional') {
        // The answer depends on who asks: no shared cache may hand one caller's to another.
        reply.header('vary', 'Authorization, Cookie');
        if (secret === undefined) return done();
      }
      if (secret === undefined) return done(new DomainError('not_authenticated'));
      authenticate(request, reply, level, token, secret).then(() => done(), done);
    });
  },
  { name: 'auth', dependencies: ['@fastify/cookie'] },
);
