import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

/** A password-reset link's token is a password for 30 minutes: the log keeps that one was opened, not with what. */
export function redactUrl(url: string): string {
  return url.includes('token=') ? url.replace(/([?&]token=)[^&#]*/g, '$1[redacted]') : url;
}

/**
 * The `req` of a log line: Fastify's own fields, with the client's address and port taken from
 * `request.peer` where the connection no longer knows them (HTTP/2, see plugins/request-head.ts).
 */
export function serializeRequest(request: FastifyRequest): Record<string, unknown> {
  // A serializer that throws takes the log call, and whatever called it, down with it: anything
  // but a Fastify request (a raw one, a plain object) gets the two fields every request has.
  if (typeof request !== 'object' || request === null || !('raw' in request)) {
    const other = (request ?? {}) as { method?: unknown; url?: unknown };
    return { method: other.method, url: typeof other.url === 'string' ? redactUrl(other.url) : other.url };
  }
  return {
    method: request.method,
    url: redactUrl(request.url),
    version: request.headers['accept-version'],
    host: request.host,
    remoteAddress: request.peer?.address ?? request.ip,
    remotePort: request.peer?.port ?? request.socket?.remotePort,
  };
}

/**
 * One log line per request instead of Fastify's two ("incoming request" on arrival, "request
 * completed" on answer): the completed line carries the request too, as an access log does, at
 * half the logging cost per request. Everything else Fastify logs stays as it is.
 */
export class AccessLog extends LogController {
  /** Requests already accounted for as gone, so that each gets one line. */
  private readonly gone = new WeakSet<FastifyRequest>();
  /** Requests answered before their body had all arrived: the client leaving afterwards is no news. */
  private readonly answeredEarly = new WeakSet<FastifyRequest>();

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    // Over HTTP/2 Node reports every stream's close as the end of its answer, even a stream the
    // client reset before anything was answered: that would log a 200 that nobody sent.
    if (!reply.raw.writableEnded || (error && isConnectionError(error))) {
      this.clientWentAway(request, reply);
      return;
    }
    // Already logged as gone (its connection closed first); an answer written after that went nowhere.
    if (this.gone.has(request)) return;
    if (!request.raw.complete) this.answeredEarly.add(request);
    if (error) {
      reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    } else {
      reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
    }
  }

  /**
   * The line of a request whose client closed or reset the connection before it was answered:
   * info, not error (nothing failed here), with nginx's 499 "client closed request" as its status
   * so that it is neither counted as a success nor as a server error.
   */
  clientWentAway(request: FastifyRequest, reply?: FastifyReply): void {
    if (this.gone.has(request) || this.answeredEarly.has(request)) return;
    this.gone.add(request);
    const responseTime = reply?.elapsedTime;
    request.log.info({ req: request, res: { statusCode: CLIENT_CLOSED_REQUEST }, responseTime }, 'client went away');
  }
}

/** nginx's status for a request whose client went away first; never sent, only logged. */
export const CLIENT_CLOSED_REQUEST = 499;

const CONNECTION_ERRORS = new Set([
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ERR_STREAM_PREMATURE_CLOSE',
  'ERR_STREAM_DESTROYED',
  'ERR_HTTP2_STREAM_ERROR',
  'ERR_HTTP2_STREAM_CANCEL',
  'ERR_HTTP2_INVALID_STREAM',
]);

/** An error that says the connection went away (a reset, a closed stream), not that something here failed. */
export function isConnectionError(err: unknown): boolean {
  const { code, name, message } = (err ?? {}) as { code?: unknown; name?: unknown; message?: unknown };
  return (typeof code === 'string' && CONNECTION_ERRORS.has(code)) || name === 'AbortError' || message === 'aborted';
}
