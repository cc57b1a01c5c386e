import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Echoes an incoming X-Request-Id when it is short and plain, else makes one; never trusts it into logs as-is. */
export function requestId(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && SANE_ID.test(incoming) ? incoming : randomUUID();
}

export default fp(
  async function requestIdHeader(app: FastifyInstance) {
    // A callback hook: an async one costs a promise and a microtask on every request.
    app.addHook('onRequest', (request, reply, done) => {
      reply.header('x-request-id', request.id);
      done();
    });
  },
  { name: 'request-id' },
);
