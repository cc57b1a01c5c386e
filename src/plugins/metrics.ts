import cluster from 'node:cluster';
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AggregatorRegistry } from 'prom-client';
import { isLoopback } from './rate-limits.js';
import { errors } from '../http/schemas.js';
import { httpTally, registry, routeLabel } from '../metrics/registry.js';

/** The messages a worker and its primary exchange for an aggregated scrape (src/cluster.ts answers them). */
export const METRICS_REQUEST = 'butaca:metrics-request';
export const METRICS_ANSWER = 'butaca:metrics-answer';
export interface MetricsRequest {
  type: typeof METRICS_REQUEST;
  id: string;
}
export interface MetricsAnswer {
  type: typeof METRICS_ANSWER;
  id: string;
  text?: string;
  error?: string;
}

// In a worker: answer the primary's aggregation (prom-client listens once an AggregatorRegistry
// exists) from this registry, not prom-client's global one.
if (cluster.isWorker) {
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
}

const counted = Symbol('butaca.metrics.inFlight');
type Counted = FastifyRequest & { [counted]?: boolean };

/** Whether this request may read /metrics (operations.md, METRICS): otherwise it is a 404, as for a path that is not there. */
function allowed(request: FastifyRequest, metrics: FastifyInstance['config']['metrics']): boolean {
  if (metrics.mode === 'local') {
    // The socket's own address: a proxy on this machine forwarding the world says so in one of
    // these headers (nginx's X-Real-IP and RFC 7239's Forwarded as well as X-Forwarded-For).
    const { headers } = request;
    return (
      isLoopback(request.raw.socket.remoteAddress ?? '') &&
      headers['x-forwarded-for'] === undefined &&
      headers.forwarded === undefined &&
      headers['x-real-ip'] === undefined
    );
  }
  if (metrics.mode !== 'token') return false;
  const header = request.headers.authorization ?? '';
  const sent = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
  const want = Buffer.from(metrics.token);
  return sent.length === want.length && timingSafeEqual(sent, want);
}

/** The whole cluster's metrics, from the primary (prom-client's AggregatorRegistry there). */
/** Longer than prom-client's own 5 s wait for the workers in the primary, so the primary's answer (or its error) comes first. */
function fromPrimary(timeoutMs = 8000): Promise<string> {
  return new Promise((resolve, reject) => {
    const id = randomUUID();
    const onMessage = (message: MetricsAnswer) => {
      if (message?.type !== METRICS_ANSWER || message.id !== id) return;
      clearTimeout(timer);
      process.off('message', onMessage);
      if (message.text !== undefined) resolve(message.text);
      else reject(new Error(message.error ?? 'no metrics from the primary'));
    };
    const timer = setTimeout(() => {
      process.off('message', onMessage);
      reject(new Error('the primary did not answer for the metrics'));
    }, timeoutMs);
    process.on('message', onMessage);
    process.send!({ type: METRICS_REQUEST, id } satisfies MetricsRequest);
  });
}

/**
 * Counts every request (method, route pattern, status class; its duration; those in flight) and
 * serves `/metrics` in Prometheus's text format to whom METRICS allows. With WORKERS>1 a scrape
 * reaching any worker answers for all of them, summed by the primary.
 */
export default fp(
  async function metrics(app: FastifyInstance) {
    // Off: not even counted (what the benchmark's "metrics off" measures against).
    if (app.config.metrics.mode === 'off') return;
    app.addHook('onRequest', (request, _reply, done) => {
      httpTally.inFlight += 1;
      (request as Counted)[counted] = true;
      done();
    });
    const settle = (request: FastifyRequest) => {
      if ((request as Counted)[counted] !== true) return;
      (request as Counted)[counted] = false;
      httpTally.inFlight -= 1;
    };
    app.addHook('onResponse', (request, reply, done) => {
      settle(request);
      httpTally.record(request.method, routeLabel(request.routeOptions.url), reply.statusCode, reply.elapsedTime / 1000);
      done();
    });
    app.addHook('onRequestAbort', (request, done) => {
      settle(request);
      done();
    });

    const text = { description: "Prometheus's text exposition format", content: { 'text/plain': { schema: { type: 'string' } } } };
    app.get(
      '/metrics',
      {
        schema: {
          tags: ['service'],
          summary: 'Metrics for Prometheus',
          description: 'Requests, latencies, database query time, the read cache, logins, uploads, process memory and event-loop delay. METRICS decides who may read it: this machine only (the default), a bearer token, or nobody; anyone else gets 404.',
          response: { 200: text, ...errors(404) },
        },
      },
      async (request, reply) => {
        if (!allowed(request, app.config.metrics)) return reply.callNotFound();
        const body = cluster.isWorker ? await fromPrimary() : await registry.metrics();
        return reply.type(registry.contentType).header('cache-control', 'no-store').send(body);
      },
    );
  },
  { name: 'metrics' },
);
