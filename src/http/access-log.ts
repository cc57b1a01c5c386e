import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

/**
 * The `req` of a log line: Fastify's own fields, with the client's address and port taken from
 * `request.peer` where the connection no longer knows them (HTTP/2, see plugins/request-head.ts).
 */
export function serializeRequest(request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: request.url,
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
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) {
      reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    } else {
      reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
    }
  }
}
