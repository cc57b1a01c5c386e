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
    app.addHook('onSend', async (request, reply, payload) => {
      if (!isCacheableRead(request, reply.statusCode) || typeof payload !== 'string') return payload;
      if (!String(reply.getHeader('content-type') ?? '').startsWith('application/json')) return payload;
      // A tag already set came with an answer served again from memory (plugins/read-cache.ts).
      const kept = reply.getHeader('etag');
      const tag = typeof kept === 'string' ? kept : `"${hash('sha1', payload, 'base64url')}"`;
      reply.header('etag', tag);
      const ifNoneMatch = request.headers['if-none-match'];
      if (ifNoneMatch !== undefined && matches(ifNoneMatch, tag)) {
        reply.code(304);
        reply.removeHeader('content-length');
        // A 304 may carry no Content-Length but the 200's (RFC 9110 §8.6). For GET, null rather than ''
        // keeps Fastify from adding `Content-Length: 0`; for HEAD, Fastify's HEAD handler measures the payload.
        return request.method === 'HEAD' ? payload : null;
      }
      return payload;
    });
  },
  { name: 'etag' },
);
