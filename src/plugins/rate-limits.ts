import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { rateLimitStoreClass } from '../counters/rate-limit-store.js';
import type { Config } from '../config.js';
import { DomainError } from '../domain/errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * A route that checks a password to log in (`POST /auth`, its `/api/v1/auth` alias, `POST
     * /api/v1/users/login`): counted under AUTH_RATE_LIMIT_MAX, in one bucket per client address
     * that every such route shares, beside the failed-login lockout of auth/login.ts.
     */
    login?: boolean;
  }
}

/** The limits, from RATE_LIMIT_MAX, RATE_LIMIT_WINDOW and AUTH_RATE_LIMIT_MAX. */
type RateLimitConfig = Pick<Config, 'rateLimitMax' | 'rateLimitWindow' | 'authRateLimitMax'>;

/** Probes of a load balancer or orchestrator must never be refused. */
const EXEMPT = new Set(['/healthz', '/readyz', '/metrics']);
const AUTH_WINDOW_MS = 60_000;

/**
 * Whether requests to a route are counted against a request-rate limit under these options: the
 * OpenAPI document (plugins/docs.ts) declares 429 exactly where this says so.
 */
export function isRateLimited(limits: RateLimitConfig, route: { login?: boolean }, url: string): boolean {
  if (limits.authRateLimitMax > 0 && route.login === true) return true;
  return limits.rateLimitMax > 0 && !EXEMPT.has(url);
}

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6. */
export function isLoopback(ip: string): boolean {
  return ip === '::1' || /^(::ffff:)?127\./i.test(ip);
}

/** The key of requests whose client address is unknown: they share one count rather than none. */
export const NO_ADDRESS = 'no-address';

/**
 * The counter key of a request: its client address as the plugin's own default makes it (IPv6 by
 * its /64, IPv4-mapped IPv6 as IPv4), but never an exception. The default reads `request.ip`,
 * which is undefined once the client has reset the connection (Node forgets the peer of a closed
 * socket): that threw in every request's hook, logging a 500 with a stack for each reset. Reading
 * the address at connection time (plugins/request-head.ts) keeps it for most of those; a request
 * whose address is gone all the same is counted under NO_ADDRESS rather than let through
 * uncounted, which would make resetting a way around the limit.
 */
export function rateLimitKey(request: FastifyRequest): string {
  const ip = request.ip ?? request.peer?.address;
  if (ip === undefined || ip === '') return NO_ADDRESS;
  // An IPv4 address is its own key (normalizeIP lower-cases it, a no-op): skip its IPv6 test, a
  // long regular expression run on every request.
  if (!ip.includes(':')) return ip;
  try {
    return normalizeIP(ip);
  } catch {
    return ip;
  }
}

/**
 * Request-rate limits per client address (`request.ip`, so TRUST_PROXY decides whether
 * X-Forwarded-For counts), loopback excepted. Counted in the shared counters (plugins/counters.ts),
 * so a client's rate is the same on every instance. When those cannot be reached the requests go
 * through uncounted (logged once): refusing every request while Redis or the database is down
 * would turn a counter outage into a full outage, and the login throttle, which does fail closed,
 * still guards the passwords.
 * Over the limit: 429, `{"detail": …}`, Retry-After and the RateLimit-* headers of the IETF draft.
 *
 * Must be registered before the routes: @fastify/rate-limit attaches itself to each route as it
 * is added.
 */
export default fp(
  async function rateLimits(app: FastifyInstance) {
    const { rateLimitMax: max, rateLimitWindow: window, authRateLimitMax: authMax } = app.config;
    if (max === 0 && authMax === 0) return;
    // The login routes get their own (tighter) limit instead of the global one; with
    // AUTH_RATE_LIMIT_MAX=0 they keep the global one. Set here, before the plugin's own onRoute
    // hook runs, so the route files only say that they log in.
    app.addHook('onRoute', (route) => {
      // The probes are exempt by contract: not even the plugin's hook runs for them.
      if (EXEMPT.has(route.url) && route.config?.login !== true) {
        route.config = { ...route.config, rateLimit: false };
        return;
      }
      if (authMax === 0 || route.config?.login !== true) return;
      route.config = { ...route.config, rateLimit: { max: authMax, timeWindow: AUTH_WINDOW_MS } };
    });
    await app.register(rateLimit, {
      // Counted in the shared counters whatever their backend (Redis, PostgreSQL, the SQLite side
      // file): one script or statement per request, and one place that decides the buckets.
      store: rateLimitStoreClass(app.counters, app.log),
      skipOnError: true,
      global: max > 0,
      max,
      timeWindow: window * 1000,
      keyGenerator: rateLimitKey,
      // A client on this machine itself (tests, a health check, an operator's curl) is exempt. The
      // test is on the socket's own peer and only without X-Forwarded-For: request.ip may come from
      // that header, which a client writes, and a local proxy forwarding visitors is no exemption
      // (set TRUST_PROXY so its visitors are told apart, rather than let them all through).
      allowList: (request) =>
        EXEMPT.has(request.url.split('?', 1)[0] ?? '') ||
        (isLoopback(request.socket.remoteAddress ?? '') && request.headers['x-forwarded-for'] === undefined),
      enableDraftSpec: true,
      // RateLimit-* only on the 429 itself: on every answer they would differ between a GET and
      // its HEAD (and between two identical GETs), for little use to clients of this API.
      addHeadersOnExceeding: { 'ratelimit-limit': false, 'ratelimit-remaining': false, 'ratelimit-reset': false },
      errorResponseBuilder: (_request, context) =>
        new DomainError('too_many_requests', { retry_after: Math.max(1, Math.ceil(context.ttl / 1000)) }),
    });
  },
  { name: 'rate-limits', decorators: { fastify: ['config'] }, dependencies: ['counters'] },
);
