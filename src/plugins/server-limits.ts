import { Server as HttpServer } from 'node:http';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';

/**
 * Timeouts and size limits of the HTTP server itself, against clients that are slow on purpose.
 * Spread into the Fastify() options (src/app.ts).
 *
 * - No total request timeout (requestTimeout 0): a 1 GiB trailer over a slow uplink may take many
 *   minutes, and any total limit long enough for it would be useless against a slow client. Slow
 *   clients are cut instead by
 * - headersTimeout: the whole request head must arrive within it (slow-loris), checked every
 *   second rather than Node's 30 s so that the limit means what it says;
 * - connectionTimeout: a connection silent for this long mid-request (or mid-response) is closed;
 *   an upload that keeps sending is never cut;
 * - keepAliveTimeout: how long an idle keep-alive connection is kept between requests;
 * - maxHeaderSize: the largest request head (431 past it), Node's default made explicit.
 *
 * Under HTTPS (HTTP/2 with HTTP/1.1 fallback) Node ignores the `http` options and Fastify does not
 * set keepAliveTimeout/requestTimeout: the default export puts them on that server instead.
 */
export function serverLimits(config: Config): Pick<
  FastifyServerOptions,
  'connectionTimeout' | 'keepAliveTimeout' | 'requestTimeout'
> & { http: NodeHttpLimits } {
  return {
    connectionTimeout: config.idleTimeout * 1000,
    keepAliveTimeout: config.keepAliveTimeout * 1000,
    requestTimeout: 0,
    http: httpLimits(config),
  };
}

export interface NodeHttpLimits {
  maxHeaderSize: number;
  headersTimeout: number;
  connectionsCheckingInterval: number;
  requireHostHeader: false;
}

/**
 * The options node:http and node:https createServer() take for the same limits. Node's own check
 * of Host is off: it answers an empty 400 of its own, outside the app, and only on plain HTTP;
 * plugins/request-head.ts applies the rule with a `{"detail"}` on both servers.
 */
export function httpLimits(config: Config): NodeHttpLimits {
  const headersTimeout = config.headersTimeout * 1000;
  return { maxHeaderSize: config.maxHeaderSize, headersTimeout, connectionsCheckingInterval: Math.min(1000, headersTimeout), requireHostHeader: false };
}

/**
 * For the HTTP/2 server of HTTPS: its HTTP/1.1 fallback would otherwise keep Node's defaults (a
 * 60 s head, and a 5-minute total request timeout that would cut long uploads). Node reads these
 * properties when it starts listening and on each connection, so setting them here, before
 * listen, is enough. HTTP/2 streams themselves are bounded by Fastify's http2SessionTimeout
 * (idle session) and HTTP/2's own header-list limit.
 */
export default fp(
  async function serverLimitsOnHttp2(app: FastifyInstance) {
    if (app.server instanceof HttpServer) return; // plain HTTP: set at creation
    const server = app.server as unknown as Record<string, unknown>;
    const limits = httpLimits(app.config);
    server.headersTimeout = limits.headersTimeout;
    server.requestTimeout = 0;
    server.connectionsCheckingInterval = limits.connectionsCheckingInterval;
    server.maxHeaderSize = limits.maxHeaderSize;
    server.keepAliveTimeout = app.config.keepAliveTimeout * 1000;
  },
  { name: 'server-limits', decorators: { fastify: ['config'] } },
);
