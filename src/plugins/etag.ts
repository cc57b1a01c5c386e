import { hash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

function matches(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  // Weak comparison (RFC 9110 §13.1.2): W/"x" and "x" match.
  const bare = etag.replace(/^W\//, '');
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === bare);
}

function isCacheableRead(request: FastifyRequest, statusCode: number): boolean {
  return (request.method === 'GET' || request.method === 'HEAD') && statusCode === 200;
}

/**
 * ETag for successful JSON reads, and 304 for a matching If-None-Match. Hand-written because
 * @fastify/etag tags every response of every method, so a PUT or an error could answer 304.
 */
export default fp(
  async function etag(app: FastifyInstance) {
    // The last answer of each route and its tag: an answer made again with the same bytes
    // (/healthz, a page nothing changed) is compared, not hashed again (a SHA-1 call was 3.3 µs of
    // /healthz's request, more than the comparison of any answer of the same size).
    const last = new Map<string, { payload: string; tag: string }>();
    // A callback hook: it runs on every answer, and an async one costs each a promise and a microtask.
    app.addHook('onSend', (request, reply, payload, done) => {
      if (!isCacheableRead(request, reply.statusCode) || typeof payload !== 'string') return done(null, payload);
      if (!String(reply.getHeader('content-type') ?? '').startsWith('application/json')) return done(null, payload);
      // A tag already set came with an answer served again from memory (plugins/read-cache.ts).
      const kept = reply.getHeader('etag');
      let tag: string;
      if (typeof kept === 'string') {
        tag = kept;
      } else {
        const route = request.routeOptions.url ?? '';
        const memo = last.get(route);
        if (memo !== undefined && memo.payload === payload) {
          tag = memo.tag;
        } else {
          tag = `"${hash('sha1', payload, 'base64url')}"`;
          last.set(route, { payload, tag });
        }
      }
      reply.header('etag', tag);
      const ifNoneMatch = request.headers['if-none-match'];
      if (ifNoneMatch !== undefined && matches(ifNoneMatch, tag)) {
        reply.code(304);
        reply.removeHeader('content-length');
        // A 304 may carry no Content-Length but the 200's (RFC 9110 §8.6). For GET, null rather than ''
        // keeps Fastify from adding `Content-Length: 0`; for HEAD, Fastify's HEAD handler measures the payload.
        return done(null, request.method === 'HEAD' ? payload : null);
      }
      done(null, payload);
    });
  },
  { name: 'etag' },
);
