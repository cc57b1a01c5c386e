import type { FastifyBaseLogger } from 'fastify';
import type { CounterStore } from './store.js';

type Callback = (err: Error | null, result?: { current: number; ttl: number }) => void;

/**
 * What @fastify/rate-limit really hands `child()`: the merged options of one route with its own
 * limit, the route under `routeInfo` (its typings say the route itself).
 */
type RouteLimitOptions = object & { routeInfo?: { method?: string | string[]; url?: string; config?: { login?: boolean } } };

/**
 * A store class in @fastify/rate-limit's custom-store shape (`incr`, `child`) over a
 * CounterStore, so the request rate of a client counts across every instance. Each route with
 * its own limit counts under its own key prefix, like the plugin's Redis store, except the login
 * routes (`config.login`), which share one: they are one door, whichever URL a client knocks at.
 */
export function rateLimitStoreClass(counters: CounterStore, log: FastifyBaseLogger, prefix = 'rl:') {
  // Logged once per failure streak: a dead store under load would otherwise log every request.
  let failing = false;
  class CounterRateLimitStore {
    constructor(
      _globalParams?: unknown,
      private readonly keyPrefix = prefix,
    ) {}

    incr(key: string, callback: Callback, timeWindow: number): void {
      counters.hit(this.keyPrefix + key, timeWindow).then(
        ({ count, resetAt }) => {
          if (failing) log.info('rate-limit counters reachable again');
          failing = false;
          callback(null, { current: count, ttl: Math.max(0, resetAt - Date.now()) });
        },
        (err: unknown) => {
          if (!failing) log.warn({ err }, 'rate-limit counters unavailable; letting requests through uncounted');
          failing = true;
          callback(err instanceof Error ? err : new Error(String(err)));
        },
      );
    }

    child(routeOptions: RouteLimitOptions): CounterRateLimitStore {
      const { method, url, config } = routeOptions.routeInfo ?? {};
      if (config?.login === true) return new CounterRateLimitStore(undefined, `${prefix}login:`);
      return new CounterRateLimitStore(undefined, `${prefix}${String(method)}${url ?? ''}:`);
    }
  }
  return CounterRateLimitStore;
}
