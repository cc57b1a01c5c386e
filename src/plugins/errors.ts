import type { ErrorObject } from 'ajv';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { isDatabaseUnavailable } from '../db/connect.js';
import { CLIENT_CLOSED_REQUEST, isConnectionError } from '../http/access-log.js';
import { HttpError, type ValidationIssue } from '../http/errors.js';
import { toFastApiIssues } from '../http/validation.js';
import { validatorCompiler } from '../http/validator.js';

interface KnownRoute {
  pattern: RegExp;
  methods: Set<string>;
}

function patternOf(url: string): RegExp {
  const source = url
    .split('/')
    .map((part) => (part.startsWith(':') ? '[^/]+' : part === '*' ? '.*' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}/?$`);
}

function clientErrorDetail(err: FastifyError, bodyLimit: number): string {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'Request body is not valid JSON';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'Request body is empty but Content-Type is application/json';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `Request body is larger than the limit of ${bodyLimit} bytes`;
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'Unsupported Content-Type: send application/json';
    default:
      // Fastify's JSON parser reports syntax errors and prototype poisoning as plain 400s.
      return err.statusCode === 400 && err.name === 'SyntaxError' ? 'Request body is not valid JSON' : err.message;
  }
}

// Fastify validates params, body, querystring, headers in this order and stops at the first part
// that fails; FastAPI lists every invalid field, so the parts after the failed one are checked too.
const PARTS = ['params', 'body', 'querystring', 'headers'] as const;

function validationIssues(request: FastifyRequest, failed: ErrorObject[], failedPart: string): ValidationIssue[] {
  const issues = toFastApiIssues(failed, failedPart);
  const schema = (request.routeOptions.schema ?? {}) as Partial<Record<(typeof PARTS)[number], object>>;
  const input = { params: request.params, body: request.body, querystring: request.query, headers: request.headers };
  const at = PARTS.indexOf(failedPart as (typeof PARTS)[number]);
  if (at < 0) return issues;
  for (const part of PARTS.slice(at + 1)) {
    const partSchema = schema[part];
    if (partSchema === undefined) continue;
    const validate = validatorCompiler({ schema: partSchema, httpPart: part, method: request.method, url: request.url }) as {
      (data: unknown): boolean;
      errors?: ErrorObject[] | null;
    };
    if (!validate(input[part])) issues.push(...toFastApiIssues(validate.errors ?? [], part));
  }
  return issues;
}

/** Whether the request's connection (or HTTP/2 stream) is gone, as after a client's reset. */
function clientGone(request: FastifyRequest): boolean {
  const raw = request.raw as { aborted?: boolean; destroyed?: boolean };
  return raw.aborted === true || raw.destroyed === true || request.socket?.destroyed === true;
}

/**
 * Every error leaves as FastAPI's `{"detail": ...}`. A known path asked with a method it lacks is
 * 405 with `Allow`, and OPTIONS on it answers the `Allow` list; Fastify alone would say 404 to both.
 */
export default fp(
  async function errors(app: FastifyInstance, opts: { bodyLimit: number }) {
    const routes = new Map<string, KnownRoute>();
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      const known = routes.get(route.url) ?? { pattern: patternOf(route.url), methods: new Set<string>(['OPTIONS']) };
      for (const m of methods) known.methods.add(m);
      routes.set(route.url, known);
    });
    const allowedMethods = (url: string): string[] | undefined => {
      const path = url.split('?', 1)[0] ?? '';
      const found = new Set<string>();
      for (const route of routes.values()) if (route.pattern.test(path)) for (const m of route.methods) found.add(m);
      return found.size > 0 ? [...found].sort() : undefined;
    };

    app.setNotFoundHandler(async (request, reply) => {
      const allow = allowedMethods(request.url);
      // A route that does take this method but found nothing there (a missing static file) is a 404.
      if (allow && (request.method === 'OPTIONS' || !allow.includes(request.method))) {
        reply.header('allow', allow.join(', '));
        if (request.method === 'OPTIONS') return reply.code(204).send();
        return reply.code(405).send({ detail: 'Method Not Allowed' });
      }
      return reply.code(404).send({ detail: 'Not Found' });
    });

    app.setErrorHandler(async (err: FastifyError, request, reply) => {
      if (err instanceof HttpError) {
        return reply.code(err.statusCode).headers(err.headers).send({ detail: err.detail });
      }
      if (err.validation) {
        return reply.code(422).send({ detail: validationIssues(request, err.validation as never, err.validationContext ?? 'body') });
      }
      const status = err.statusCode ?? 500;
      if (status >= 400 && status < 500) {
        const headers = (err as { headers?: Record<string, string> }).headers;
        if (headers) reply.headers(headers);
        return reply.code(status).send({ detail: clientErrorDetail(err, opts.bodyLimit) });
      }
      // A reset or closed connection surfacing from a stream (an upload's storage write, a
      // pipeline) is the client's leaving, not a failure here: nobody is left to answer, and the
      // access log says 499 (http/access-log.ts).
      if (isConnectionError(err) && clientGone(request)) {
        request.log.debug({ err }, 'client went away');
        return reply.code(CLIENT_CLOSED_REQUEST).send({ detail: 'The client closed the connection' });
      }
      if (isDatabaseUnavailable(err)) {
        request.log.error({ err }, 'database unavailable');
        return reply.code(503).header('retry-after', '5').send({ detail: 'The database is unavailable; try again shortly' });
      }
      request.log.error({ err }, 'unexpected error');
      return reply.code(500).send({ detail: 'Internal Server Error' });
    });
  },
  { name: 'errors' },
);
