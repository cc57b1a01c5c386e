/**
 * What counting a request for /metrics costs on the request's thread, in nanoseconds, next to the
 * same counting done with prom-client's own Counter, Histogram and Gauge (what it replaced):
 *
 *   npm run bench:metrics-tally
 *
 * The throughput comparison (npm run bench -- --only metrics-cost) cannot resolve a cost this
 * small from a shared machine's noise; this measures the work itself, 5,000,000 requests a round,
 * three rounds each, on four routes.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { LATENCY_BUCKETS, httpTally } from '../src/metrics/registry.js';

const ROUTES = ['/healthz', '/api/v1/movies', '/api/v1/movies/:id', '/api/v1/reviews/:id'];
const N = 5_000_000;
const seconds = (i: number) => 0.0004 + (i % 7) * 0.001;

function time(label: string, count: number, body: (i: number) => void): void {
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) body(i);
  process.stdout.write(`${label}: ${(Number(process.hrtime.bigint() - started) / count).toFixed(0)} ns a request\n`);
}

for (let round = 1; round <= 3; round++) {
  time(`httpTally (Butaca), round ${round}`, N, (i) => {
    httpTally.inFlight += 1;
    httpTally.record('GET', ROUTES[i & 3]!, 200, seconds(i));
    httpTally.inFlight -= 1;
  });
}
const registry = new Registry();
const counter = new Counter({ name: 'requests_total', help: '-', labelNames: ['method', 'route', 'status'], registers: [registry] });
const histogram = new Histogram({ name: 'duration_seconds', help: '-', labelNames: ['method', 'route'], buckets: LATENCY_BUCKETS, registers: [registry] });
const gauge = new Gauge({ name: 'in_flight', help: '-', registers: [registry] });
for (let round = 1; round <= 3; round++) {
  time(`prom-client Counter + Histogram + Gauge, round ${round}`, N / 5, (i) => {
    gauge.inc();
    const route = ROUTES[i & 3]!;
    counter.inc({ method: 'GET', route, status: '2xx' });
    histogram.observe({ method: 'GET', route }, seconds(i));
    gauge.dec();
  });
}
