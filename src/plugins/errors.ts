import type { ErrorObject } from 'ajv';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { isDatabaseUnavailable } from '../db/errors.js';
import { DomainError } from '../domain/errors.js';
import { InvalidInput, type ValidationIssue, describeIssue } from '../domain/issues.js';
import { type Problem, problem, problemOf, validationBody } from '../http/problems.js';
import { isConnectionError } from '../http/access-log.js';
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

/** The body types a route takes, in words: its documented `consumes`, else JSON alone. */
function accepted(request: FastifyRequest): string {
  const consumes = (request.routeOptions.schema as { consumes?: string[] } | undefined)?.consumes ?? ['application/json'];
  return consumes.length > 1 ? `${consumes.slice(0, -1).join(', ')} or ${consumes.at(-1)}` : (consumes[0] ?? 'application/json');
}

/** What one of Fastify's own 4xx errors (from parsing the request) means, by code. */
function fromFastify(err: FastifyError, request: FastifyRequest, bodyLimit: number): DomainError {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new DomainError('body_not_json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new DomainError('body_empty');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new DomainError('body_too_large', { limit: bodyLimit });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new DomainError('unsupported_media_type', { accepted: accepted(request) });
    default:
      // Fastify's JSON parser reports syntax errors and prototype poisoning as plain 400s.
      if (err.statusCode === 400 && err.name === 'SyntaxError') return new DomainError('body_not_json');
      return new DomainError('bad_request', { reason: err.message });
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
 * Every error leaves as FastAPI's `{"detail": ...}`, with the code the web client translates by
 * (src/domain/errors.ts; src/http/problems.ts gives the status): domain errors from the modules
 * and infrastructure, validation errors as FastAPI's 422 list, Fastify's own request errors by
 * their code, a database that cannot serve as 503, and anything else as a 500 that shows nothing.
 * A known path asked with a method it lacks is 405 with `Allow`, and OPTIONS on it answers the
 * `Allow` list; Fastify alone would say 404 to both.
 */
export default fp(
  async function errors(app: FastifyInstance) {
    const bodyLimit = app.config.bodyLimit;
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
    const answer = (reply: FastifyReply, { status, headers, body }: Problem) => reply.code(status).headers(headers).send(body);

    app.setNotFoundHandler(async (request, reply) => {
      const allow = allowedMethods(request.url);
      // A route that does take this method but found nothing there (a missing static file) is a 404.
      if (allow && (request.method === 'OPTIONS' || !allow.includes(request.method))) {
        reply.header('allow', allow.join(', '));
        if (request.method === 'OPTIONS') return reply.code(204).send();
        return answer(reply, problem('method_not_allowed'));
      }
      return answer(reply, problem('not_found'));
    });

    app.setErrorHandler(async (err: FastifyError, request, reply) => {
      if (err instanceof DomainError) {
        // A dependency that failed underneath (the media store, the counters): the cause is for the log.
        if (err.kind === 'unavailable' && err.cause !== undefined) request.log.error({ err: err.cause, code: err.code }, 'a service Butaca depends on is unavailable');
        return answer(reply, problemOf(err));
      }
      if (err instanceof InvalidInput) return reply.code(422).send(validationBody(err.issues.map(describeIssue)));
      if (err.validation) {
        return reply.code(422).send(validationBody(validationIssues(request, err.validation as never, err.validationContext ?? 'body')));
      }
      const status = err.statusCode ?? 500;
      if (status >= 400 && status < 500) {
        const headers = (err as { headers?: Record<string, string> }).headers;
        if (headers) reply.headers(headers);
        return answer(reply, problemOf(fromFastify(err, request, bodyLimit)));
      }
      // A reset or closed connection surfacing from a stream (an upload's storage write, a
      // pipeline) is the client's leaving, not a failure here: nobody is left to answer, and the
      // access log says 499 (http/access-log.ts).
      if (isConnectionError(err) && clientGone(request)) {
        request.log.debug({ err }, 'client went away');
        return answer(reply, problem('client_closed_request'));
      }
      if (isDatabaseUnavailable(err)) {
        request.log.error({ err }, 'database unavailable');
        return answer(reply, problem('database_unavailable', { retry_after: 5 }));
      }
      request.log.error({ err }, 'unexpected error');
      return answer(reply, problem('internal_error'));
    });
  },
  { name: 'errors', decorators: { fastify: ['config'] }, dependencies: ['cors-policy'] },
);
