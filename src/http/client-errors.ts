import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { securityHeaderList } from '../plugins/security-headers.js';
import { HSTS } from '../tls/hsts.js';
import { type Connections, closeWhenFlushed, lingerThenClose } from './lingering-close.js';
import { type Problem, problem } from './problems.js';

/** What Node's HTTP/1.1 parser (or its head timeout) reports: llhttp's code and reason. */
interface ClientError extends Error {
  code?: string;
  reason?: string;
}

/** The answer to a request Node refused before it became one, or undefined when there is nobody to answer. */
export function clientErrorAnswer(err: ClientError, config: Pick<Config, 'maxHeaderSize' | 'headersTimeout'>): Problem | undefined {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return problem('header_too_large', { limit: config.maxHeaderSize });
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return problem('request_timeout', { seconds: config.headersTimeout });
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return problem('chunk_extensions_too_large');
    default:
      if (!err.code?.startsWith('HPE_')) return undefined; // a reset, a TLS failure: not an HTTP request at all
      // llhttp's reasons are fixed texts ("Invalid header value char"); kept to plain ASCII anyway.
      return problem('malformed_request', { reason: (err.reason ?? err.code).replace(/[^ -~]/g, '?').slice(0, 100) });
  }
}

/**
 * The whole HTTP/1.1 answer, bytes ready for the socket: the same as any other error answer of
 * the API — `{"detail"}` as exactly `application/json`, a request id, the security headers, HSTS
 * under TLS — and `Connection: close`, since the connection cannot be parsed any further.
 */
export function rawAnswer({ status, body: problemBody }: Problem, requestId: string, tls: boolean): string {
  const body = JSON.stringify(problemBody);
  const headers: (readonly [string, string])[] = [
    ['content-type', 'application/json'],
    ['content-length', String(Buffer.byteLength(body))],
    ['x-request-id', requestId],
    ...securityHeaderList(),
    ...(tls ? [['strict-transport-security', HSTS] as const] : []),
    ['date', new Date().toUTCString()],
    ['connection', 'close'],
  ];
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${headers.map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n${body}`;
}

/**
 * Fastify's clientErrorHandler: Node calls it for requests its HTTP/1.1 parser refuses (a control
 * byte in a header, a malformed request line or chunk, a head over MAX_HEADER_SIZE), for heads
 * slower than HEADERS_TIMEOUT, and for connections that fail before any request (resets, TLS
 * handshakes). Fastify's own handler answers the first kind with a body of its own shape and no
 * security headers, then destroys the socket, which can reset the answer away (see
 * lingering-close.ts).
 *
 * Here they get the API's error answer, then the connection is closed: after lingering while the
 * client may still be sending (a 400 or 431 often has more of the request behind it), at once for
 * a 408 (the client was too slow to wait for) or when a request of the connection is still being
 * handled (its answer would follow ours on the same connection). Answers already begun on the
 * connection cannot be followed by another: then it is only closed.
 */
export function clientErrorHandler(config: Pick<Config, 'maxHeaderSize' | 'headersTimeout'>, connections: Connections) {
  // A parser that has failed fails again on every later chunk of the connection: one answer each.
  const answered = new WeakSet<Socket>();
  return function onClientError(this: FastifyInstance, err: ClientError, socket: Socket): void {
    if (answered.has(socket)) return;
    answered.add(socket);
    // Node calls this from the socket's own events: a throw here would end the process.
    try {
      answerClientError(this, err, socket);
    } catch (failure) {
      this.log.error({ err: failure }, 'answering a request the HTTP parser refused failed');
      socket.destroy();
    }
  };

  function answerClientError(app: FastifyInstance, err: ClientError, socket: Socket): void {
    const answer = clientErrorAnswer(err, config);
    const exchange = connections.exchangeOf(socket);
    const busy = exchange !== undefined && !exchange.res.writableFinished;
    if (!answer || !socket.writable || (busy && exchange.res.headersSent)) {
      app.log.debug({ err: { code: err.code, message: err.message } }, 'connection failed before a request');
      socket.destroy();
      return;
    }
    const id = randomUUID();
    const tls = (socket as Socket & { encrypted?: boolean }).encrypted === true;
    // As an access-log line, though there is no request to log: the peer, the status, why.
    app.log.info(
      { reqId: id, client: { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort }, res: { statusCode: answer.status }, reason: err.code },
      'request refused by the HTTP parser',
    );
    socket.write(rawAnswer(answer, id, tls));
    // A client that has ended its side (the error is then an unfinished request at EOF) sends
    // nothing more to linger for, and may be gone altogether: close as Node's own handler does.
    if (socket.readableEnded) socket.destroy();
    else if (busy || answer.status === 408) closeWhenFlushed(socket);
    else lingerThenClose(socket);
  }
}
