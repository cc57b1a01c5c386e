import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** A year, and the subdomains too: the usual production value (and the minimum for browsers' preload lists). */
export const HSTS = 'max-age=31536000; includeSubDomains';

/**
 * Strict-Transport-Security on every answer, registered only when the server itself speaks TLS:
 * browsers ignore the header over plain HTTP, and sending it from an HTTP-only server behind a
 * proxy would be a promise this process cannot check. This is the only place it is set —
 * helmet's own HSTS is switched off where helmet is registered, so the two cannot disagree.
 * onSend, not onRequest, so that error answers (404, 413, 500…) carry it too.
 */
export default fp(
  async function hsts(app: FastifyInstance) {
    app.addHook('onSend', (_request, reply, payload, done) => {
      reply.header('strict-transport-security', HSTS);
      done(null, payload);
    });
  },
  { name: 'hsts' },
);
