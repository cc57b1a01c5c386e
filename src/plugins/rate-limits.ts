import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { rateLimitStoreClass } from '../counters/rate-limit-store.js';
import { HttpError } from '../http/errors.js';

export interface RateLimitOptions {
  /** Requests per client address per `window` seconds on every route; 0 turns it off. */
  max: number;
  window: number;
  /** Requests per client address per minute on the login routes; 0 turns it off. */
  authMax: number;
}

/** The login routes: a request-rate cap per address beside the failed-login lockout of auth/login.ts. */
const LOGIN_ROUTES = new Set(['POST /auth', 'POST /api/v1/users/login']);
/** Probes of a load balancer or orchestrator must never be refused. */
const EXEMPT = new Set(['/healthz', '/readyz']);
const AUTH_WINDOW_MS = 60_000;

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
  async function rateLimits(app: FastifyInstance, opts: RateLimitOptions) {
    if (opts.max === 0 && opts.authMax === 0) return;
    // The login routes get their own (tighter) limit instead of the global one; with
    // AUTH_RATE_LIMIT_MAX=0 they keep the global one. Set here, before the plugin's own onRoute
    // hook runs, so the route files need not know about it.
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      if (opts.authMax === 0 || !methods.some((m) => LOGIN_ROUTES.has(`${m} ${route.url}`))) return;
      route.config = { ...route.config, rateLimit: { max: opts.authMax, timeWindow: AUTH_WINDOW_MS } };
    });
    // With Redis the plugin's own Redis store (one Lua script per request) counts under our
    // prefix; otherwise a custom store over the SQL counters.
    const counters = app.counters;
    const backend = counters.redis
      ? { redis: counters.redis.client, nameSpace: `${counters.redis.prefix}rl:` }
      : { store: rateLimitStoreClass(counters, app.log) };
    await app.register(rateLimit, {
      ...backend,
      skipOnError: true,
      global: opts.max > 0,
      max: opts.max,
      timeWindow: opts.window * 1000,
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
        new HttpError(429, `Too many requests; try again in ${context.after}`, { 'retry-after': String(Math.ceil(context.ttl / 1000)) }),
    });
  },
  { name: 'rate-limits', dependencies: ['counters'] },
);
