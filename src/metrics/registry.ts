import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

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

/** One route and method's answers: counts by status class (index 1 to 5) and the latency histogram. */
interface Slot {
  readonly method: string;
  readonly route: string;
  readonly byClass: number[];
  /** Per bucket of LATENCY_BUCKETS (not cumulative), and one more for what is slower than the last. */
  readonly buckets: number[];
  sum: number;
  count: number;
}

/**
 * The HTTP series, counted on each request's path as plain numbers (two Map lookups and a few
 * increments) and put in prom-client's shape only when scraped. prom-client's own Counter.inc and
 * Histogram.observe validate the labels and build a label hash on every call: in /healthz's CPU
 * profile that was the largest part of counting's cost (issue 17: under 2% of throughput).
 */
class HttpTally {
  private readonly routes = new Map<string, Map<string, Slot>>();
  inFlight = 0;

  record(method: string, route: string, status: number, seconds: number): void {
    let methods = this.routes.get(route);
    if (methods === undefined) this.routes.set(route, (methods = new Map()));
    let slot = methods.get(method);
    if (slot === undefined) {
      slot = { method, route, byClass: [0, 0, 0, 0, 0, 0], buckets: new Array<number>(LATENCY_BUCKETS.length + 1).fill(0), sum: 0, count: 0 };
      methods.set(method, slot);
    }
    const statusIndex = Math.floor(status / 100);
    slot.byClass[statusIndex >= 1 && statusIndex <= 5 ? statusIndex : 5]! += 1;
    let bucket = 0;
    while (bucket < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[bucket]!) bucket += 1;
    slot.buckets[bucket]! += 1;
    slot.sum += seconds;
    slot.count += 1;
  }

  *slots(): Generator<Slot> {
    for (const methods of this.routes.values()) yield* methods.values();
  }

  reset(): void {
    this.routes.clear();
  }
}

export const httpTally = new HttpTally();

type Value = { labels: Record<string, string | number>; value: number; metricName?: string };

/**
 * A series read from httpTally, registered as prom-client registers its own aggregated metrics
 * (an object with `get`): the registry formats it, and with WORKERS>1 the primary's
 * AggregatorRegistry sums it across workers like any counter or histogram.
 */
function tallied(name: string, help: string, type: 'counter' | 'histogram', values: () => Value[], reset = () => httpTally.reset()): void {
  const metric = {
    name,
    help,
    type,
    aggregator: 'sum' as const,
    get: async () => ({ name, help, type, aggregator: 'sum' as const, values: values() }),
    reset,
  };
  // Not one of prom-client's classes, but what its Registry uses of one (name, help, type, aggregator, get, reset).
  registry.registerMetric(metric as unknown as Counter);
}

tallied('butaca_http_requests_total', 'HTTP requests answered, by method, route pattern and status class', 'counter', () => {
  const values: Value[] = [];
  for (const slot of httpTally.slots()) {
    for (let c = 1; c <= 5; c++) {
      if (slot.byClass[c]! > 0) values.push({ labels: { method: slot.method, route: slot.route, status: `${c}xx` }, value: slot.byClass[c]! });
    }
  }
  return values;
});

tallied('butaca_http_request_duration_seconds', 'Time from a request arriving to its answer being sent, by method and route pattern', 'histogram', () => {
  const name = 'butaca_http_request_duration_seconds';
  const values: Value[] = [];
  for (const slot of httpTally.slots()) {
    const labels = { method: slot.method, route: slot.route };
    let cumulative = 0;
    LATENCY_BUCKETS.forEach((le, i) => {
      cumulative += slot.buckets[i]!;
      values.push({ labels: { ...labels, le }, value: cumulative, metricName: `${name}_bucket` });
    });
    values.push({ labels: { ...labels, le: '+Inf' }, value: slot.count, metricName: `${name}_bucket` });
    values.push({ labels, value: slot.sum, metricName: `${name}_sum` });
    values.push({ labels, value: slot.count, metricName: `${name}_count` });
  }
  return values;
});

export const httpInFlight = new Gauge({
  name: 'butaca_http_requests_in_flight',
  help: 'HTTP requests being answered now',
  registers: [registry],
  collect() {
    this.set(httpTally.inFlight);
  },
});

/** Each database query's time by kind of statement, counted like the HTTP series (plain numbers, put in shape when scraped). */
class QueryTally {
  private readonly byKind = new Map<string, { buckets: number[]; sum: number; count: number }>();
  /** The kind of each SQL text seen: the service's statements are a few hundred fixed texts. */
  private readonly kinds = new Map<string, string>();

  observe(sql: string, seconds: number): void {
    let kind = this.kinds.get(sql);
    if (kind === undefined) {
      kind = statementKind(sql);
      if (this.kinds.size >= 2000) this.kinds.clear();
      this.kinds.set(sql, kind);
    }
    let series = this.byKind.get(kind);
    if (series === undefined) this.byKind.set(kind, (series = { buckets: new Array<number>(LATENCY_BUCKETS.length + 1).fill(0), sum: 0, count: 0 }));
    let bucket = 0;
    while (bucket < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[bucket]!) bucket += 1;
    series.buckets[bucket]! += 1;
    series.sum += seconds;
    series.count += 1;
  }

  values(name: string): Value[] {
    const values: Value[] = [];
    for (const [statement, series] of this.byKind) {
      let cumulative = 0;
      LATENCY_BUCKETS.forEach((le, i) => {
        cumulative += series.buckets[i]!;
        values.push({ labels: { statement, le }, value: cumulative, metricName: `${name}_bucket` });
      });
      values.push({ labels: { statement, le: '+Inf' }, value: series.count, metricName: `${name}_bucket` });
      values.push({ labels: { statement }, value: series.sum, metricName: `${name}_sum` });
      values.push({ labels: { statement }, value: series.count, metricName: `${name}_count` });
    }
    return values;
  }

  reset(): void {
    this.byKind.clear();
  }
}

export const queryTally = new QueryTally();

tallied('butaca_db_query_duration_seconds', 'Time each database query took, by kind of statement', 'histogram', () => queryTally.values('butaca_db_query_duration_seconds'), () => queryTally.reset());

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

/** A statement's kind for the query-time histogram: its first word (select, insert, update, delete, …), a few values at most. */
export function statementKind(sql: string): string {
  const word = /^\s*(\w+)/.exec(sql)?.[1]?.toLowerCase() ?? 'other';
  return ['select', 'insert', 'update', 'delete', 'with', 'begin', 'commit', 'rollback', 'savepoint', 'release', 'pragma'].includes(word) ? word : 'other';
}
