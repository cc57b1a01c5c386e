import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The process's metrics (operations.md, "Watching it run"), in one prom-client registry of its
 * own: one per process, as Prometheus scrapes processes, whatever the number of apps a test
 * builds in it. Infrastructure and modules count into these; src/plugins/metrics.ts serves them.
 *
 * Latency buckets fit a service that answers in a millisecond or two: from 0.25 ms to 2.5 s, half
 * of them under 10 ms, where the p99 of a healthy instance lives.
 */
export const LATENCY_BUCKETS = [0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export const registry = new Registry();

// Process memory, CPU, event-loop delay (a histogram of monitorEventLoopDelay), heap, GC.
collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
// Three gauges of prom-client's defaults end in _total, which promtool refuses (a _total is a
// counter); the counts of handles and requests they give are not what an operator alerts on.
for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);

export const httpRequests = new Counter({
  name: 'butaca_http_requests_total',
  help: 'HTTP requests answered, by method, route pattern and status class',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [registry],
});

export const httpDuration = new Histogram({
  name: 'butaca_http_request_duration_seconds',
  help: 'Time from a request arriving to its answer being sent, by method and route pattern',
  labelNames: ['method', 'route'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

export const httpInFlight = new Gauge({
  name: 'butaca_http_requests_in_flight',
  help: 'HTTP requests being answered now',
  registers: [registry],
});

export const dbQueryDuration = new Histogram({
  name: 'butaca_db_query_duration_seconds',
  help: 'Time each database query took, by kind of statement',
  labelNames: ['statement'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

export const readCacheLookups = new Counter({
  name: 'butaca_read_cache_lookups_total',
  help: 'Lookups in the read cache of public answers, by result (hit or miss)',
  labelNames: ['result'] as const,
  registers: [registry],
});

export const loginFailures = new Counter({
  name: 'butaca_login_failures_total',
  help: 'Password checks that failed (wrong username or password), at login and when a password is asked again',
  registers: [registry],
});

export const loginThrottled = new Counter({
  name: 'butaca_login_throttled_total',
  help: 'Password checks refused by the throttle (429)',
  registers: [registry],
});

export const uploadsInProgress = new Gauge({
  name: 'butaca_uploads_in_progress',
  help: 'File uploads (posters, trailers, avatars, imports) being received now',
  registers: [registry],
});

/** A route's label: its pattern (`/api/v1/movies/:id`), never the URL, so ids and queries cannot explode the series. */
export function routeLabel(pattern: string | undefined): string {
  return pattern ?? 'unmatched';
}

/** The status as its class: 2xx, 3xx, 4xx, 5xx. */
export function statusClass(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}

/** A statement's kind for the query-time histogram: its first word (select, insert, update, delete, …), a few values at most. */
export function statementKind(sql: string): string {
  const word = /^\s*(\w+)/.exec(sql)?.[1]?.toLowerCase() ?? 'other';
  return ['select', 'insert', 'update', 'delete', 'with', 'begin', 'commit', 'rollback', 'savepoint', 'release', 'pragma'].includes(word) ? word : 'other';
}
