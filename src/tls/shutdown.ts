import type { Http2SecureServer, ServerHttp2Session } from 'node:http2';
import type { FastifyInstance } from 'fastify';

/**
 * Lets a graceful shutdown finish under HTTPS. server.close() waits for every connection to end;
 * it closes the idle HTTP/1.1 keep-alive connections of the fallback itself, but on Node 20 not
 * the HTTP/2 sessions, so one a browser keeps open would hold the process until the shutdown
 * grace runs out (Fastify's forceCloseConnections would destroy them, requests in flight
 * included; Node 24 closes them itself). So at preClose each session gets GOAWAY: no new streams,
 * the open ones run to their end, then it closes. The HTTPS test checks both kinds of idle
 * connection. Must be called before the app listens.
 */
export function closeConnectionsOnShutdown(app: FastifyInstance): void {
  const server = app.server as unknown as Http2SecureServer;
  const sessions = new Set<ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  app.addHook('preClose', async () => {
    for (const session of sessions) session.close();
  });
}
