import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { DomainError } from '../domain/errors.js';

/** The client's end of the connection, as it was when the request arrived. */
export interface Peer {
  address: string | undefined;
  port: number | undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Over HTTP/2, the client's address and port read when the request arrived: once the stream
     * has closed (when the access-log line is written) Node no longer links it to its connection,
     * and `request.ip` is undefined. Null over HTTP/1.1, whose socket keeps them.
     */
    peer: Peer | null;
  }
}

/**
 * The size of an HTTP/2 request head as it counts against MAX_HEADER_SIZE: the bytes of every
 * field's name and value, pseudo-headers (`:method`, `:path`, …, HTTP/1.1's request line) included.
 * HPACK's 32 bytes of bookkeeping per field (RFC 9113's SETTINGS_MAX_HEADER_LIST_SIZE) are not
 * counted, nor HTTP/1.1's `: ` and CRLFs: the same request is then never larger over HTTP/2 than
 * over HTTP/1.1, so whatever passes one passes the other.
 */
export function http2HeadSize(rawHeaders: string[]): number {
  let size = 0;
  // Node's HTTP/2 header values are byte strings (latin1), so length is the byte count.
  for (const field of rawHeaders) size += field.length;
  return size;
}

/**
 * Rules of the request head that Node applies to HTTP/1.1 in its parser but not to HTTP/2:
 * MAX_HEADER_SIZE answers 431 (Node's HTTP/2 server only resets a stream whose headers pass
 * 64 KiB), and HTTP/2 answers never carry `Connection`, which HTTP/2 forbids (Fastify sets it on
 * any body-parser error, and Node would drop it with a warning per answer). And one Node applies
 * outside the app, only on plain HTTP, with an empty body: an HTTP/1.1 request needs a Host.
 *
 * Registered after the security headers and the request id, so that a 431 carries them, and
 * before the rate limits and authentication, which an oversized head never reaches.
 *
 * SETTINGS_MAX_HEADER_LIST_SIZE is not announced: it is advisory, a client honouring it would
 * fail on its side without ever seeing the 431 and its detail, and Node does not enforce it.
 *
 * It also keeps the client's address for requests whose connection is reset under them (the
 * rate limits key on it, and the access log shows it).
 */
export default fp(
  async function requestHead(app: FastifyInstance) {
    const maxHeaderSize = app.config.maxHeaderSize;
    app.decorateRequest('peer', null);
    // Asked once at connection, Node keeps the peer's address and port for the socket's lifetime;
    // asked only later (request.ip in a hook, the log line), they are undefined if the client has
    // reset the connection meanwhile. The TLS socket is a socket of its own, asked separately once
    // its handshake is done (a client that resets before then may still go without an address:
    // plugins/rate-limits.ts counts those together).
    const remember = (socket: Socket): void => void socket.remoteAddress;
    app.server.on('connection', remember);
    app.server.on('secureConnection', remember);
    app.addHook('onRequest', (request, reply, done) => {
      if (request.raw.httpVersionMajor < 2) {
        // RFC 9112 §3.2: a server MUST answer 400 to an HTTP/1.1 request without a Host header.
        if (request.raw.httpVersionMinor >= 1 && request.headers.host === undefined) {
          reply.header('connection', 'close');
          return done(new DomainError('missing_host'));
        }
        return done();
      }
      request.peer = { address: request.ip, port: request.socket?.remotePort };
      if (http2HeadSize(request.raw.rawHeaders) > maxHeaderSize) return done(new DomainError('header_too_large', { limit: maxHeaderSize }));
      done();
    });
    // Only a server that speaks HTTP/2 has answers to take it off (a hook less on every answer of a plain one).
    if (app.initialConfig.http2 === true) {
      app.addHook('onSend', (request, reply, payload, done) => {
        if (request.raw.httpVersionMajor >= 2) reply.removeHeader('connection');
        done(null, payload);
      });
    }
  },
  { name: 'request-head', decorators: { fastify: ['config'] } },
);
