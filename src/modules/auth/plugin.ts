import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { LoginThrottle } from './throttle.js';
import { prepareDummyHash } from './passwords.js';
import { type SessionPolicy, type SessionUser, findSession } from './data.js';
import { looksLikeSecret } from './tokens.js';
import { forbidden, unauthorized } from '../../http/errors.js';
import { errors } from '../../http/schemas.js';

export type AuthLevel = 'user' | 'admin';

export interface Principal extends SessionUser {
  via: 'bearer' | 'cookie';
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route; checked before the body is read. */
    auth?: AuthLevel;
    /** Refuse the request from another site even though it carries no session yet (login). */
    sameOrigin?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyInstance {
    sessionPolicy: SessionPolicy;
    loginThrottle: LoginThrottle;
  }
}

const COOKIE = 'butaca_session';
const SECURE_COOKIE = '__Host-butaca_session';
/** Methods whose cookie-authenticated requests are refused cross-site (the docs declare that 403 from here too). */
export const UNSAFE: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Under HTTPS the cookie takes the __Host- prefix: Secure, Path=/, no Domain, so no subdomain can plant it. */
export function sessionCookieName(request: FastifyRequest): string {
  return request.protocol === 'https' ? SECURE_COOKIE : COOKIE;
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, secret: string, maxAge: number): void {
  reply.setCookie(sessionCookieName(request), secret, {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: request.protocol === 'https',
    maxAge,
  });
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(sessionCookieName(request), { httpOnly: true, sameSite: 'lax', path: '/', secure: request.protocol === 'https' });
}

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

const CROSS_SITE = 'Cross-site request refused: use a bearer token for requests from other origins';

export default fp(
  async function auth(app: FastifyInstance, opts: { policy: SessionPolicy; loginWindow: number }) {
    app.decorate('sessionPolicy', opts.policy);
    app.decorate('loginThrottle', new LoginThrottle(app.counters, opts.loginWindow));
    app.decorateRequest('principal', null);
    // Started, not awaited: readiness need not wait for an argon2 hash (35 ms); a login of an
    // unknown user in the first moments waits for it instead (auth/passwords.ts).
    app.addHook('onReady', async () => {
      prepareDummyHash().catch((err: unknown) => app.log.error({ err }, 'could not prepare the dummy password hash'));
    });

    // Routes say who may call them in `config.auth`; the docs learn it from the same place.
    app.addHook('onRoute', (route) => {
      const level = route.config?.auth;
      if (!level || !route.schema) return;
      route.schema.security = [{ OAuth2PasswordBearer: [] }, { sessionCookie: [] }];
      route.schema.response = { ...errors(...(level === 'admin' ? [401, 403] : [401])), ...(route.schema.response as object) };
    });

    app.addHook('onRequest', async (request, reply) => {
      const { auth: level, sameOrigin } = request.routeOptions.config;
      if (sameOrigin && UNSAFE.has(request.method) && isCrossSite(request)) throw forbidden(CROSS_SITE);
      if (!level) return;

      // A bearer token, when present, decides alone: a stale cookie beside it is not consulted.
      const token = bearerToken(request);
      // Under HTTPS only the __Host- cookie counts: a plain one could have been planted by a subdomain.
      const secret = token ?? request.cookies[sessionCookieName(request)];
      if (secret === undefined) throw unauthorized();
      const session = looksLikeSecret(secret) ? await findSession(app.db, secret, app.sessionPolicy) : undefined;
      if (!session) throw unauthorized(token !== undefined ? 'Invalid or expired token' : 'Invalid or expired session');
      const via = token !== undefined ? 'bearer' : 'cookie';
      if (via === 'cookie' && UNSAFE.has(request.method) && isCrossSite(request)) throw forbidden(CROSS_SITE);
      request.principal = { ...session, via };
      // An answer for one signed-in person: no shared cache may keep it or hand it to another.
      reply.header('cache-control', 'private, no-cache');
      reply.header('vary', 'Authorization, Cookie');
      if (level === 'admin' && session.role !== 'admin') throw forbidden('Administrator role required');
    });
  },
  { name: 'auth', dependencies: ['@fastify/cookie', 'counters'] },
);

/** The caller of a route declared with `config.auth`; the onRequest hook guarantees it is set. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw unauthorized();
  return request.principal;
}
