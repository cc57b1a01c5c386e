import { readFileSync } from 'node:fs';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { purgeExpiredSessions } from './auth/sessions.js';
import type { Config } from './config.js';
import { type Db, connect } from './db/connect.js';
import { AccessLog, serializeRequest } from './http/access-log.js';
import { clientErrorHandler } from './http/client-errors.js';
import { Connections } from './http/lingering-close.js';
import { lazySerializers } from './http/serializer.js';
import { validatorCompiler } from './http/validator.js';
import { createStore } from './storage/index.js';
import type { MediaStore } from './storage/store.js';
import auth from './plugins/auth.js';
import bodyLimits from './plugins/body-limits.js';
import corsPolicy from './plugins/cors.js';
import counters from './plugins/counters.js';
import docs from './plugins/docs.js';
import errors from './plugins/errors.js';
import etag from './plugins/etag.js';
import rateLimits from './plugins/rate-limits.js';
import readCache from './plugins/read-cache.js';
import requestHead from './plugins/request-head.js';
import requestIdHeader, { requestId } from './plugins/request-id.js';
import securityHeaders, { securityHeaderList } from './plugins/security-headers.js';
import serverLimitsOnHttp2, { serverLimits } from './plugins/server-limits.js';
import webClient from './plugins/web-client.js';
import mediaRoutes from './routes/media/routes.js';
import mediaSweep from './routes/media/sweep-plugin.js';
import movieRoutes from './routes/movies/routes.js';
import reviewRoutes from './routes/reviews/routes.js';
import serviceRoutes from './routes/service/routes.js';
import hsts, { HSTS } from './tls/hsts.js';
import type { TlsServerOptions } from './tls/options.js';
import tokenRoutes from './routes/token/routes.js';
import userRoutes from './routes/users/routes.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    db: Db;
    store: MediaStore;
    /** `ready` is true between a finished start and the beginning of shutdown; /readyz reports it. */
    lifecycle: { ready: boolean };
  }
}

export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

// Secrets travel in these; none of them may reach a log line.
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
];

export function loggerOptions(config: Config): FastifyServerOptions['logger'] {
  const pretty = process.stdout.isTTY && config.logLevel !== 'silent';
  return {
    level: config.logLevel,
    redact: { paths: REDACT, censor: '[redacted]' },
    serializers: { req: serializeRequest },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } } } : {}),
  };
}

export interface AppOptions {
  /** An already open database (tests, CLI); otherwise the app opens one from the config and closes it. */
  db?: Db;
  /** The media store; otherwise made from the config. */
  store?: MediaStore;
  logger?: FastifyServerOptions['logger'];
  /** The built web client to serve at `/`; otherwise dist/web (tests point it at a fixture). */
  webRoot?: string;
  /** HTTPS with HTTP/2 (src/tls/options.ts); plain HTTP/1.1 without. */
  server?: TlsServerOptions;
}

export async function buildApp(config: Config, options: AppOptions = {}): Promise<FastifyInstance> {
  const accessLog = new AccessLog();
  const connections = new Connections();
  const app = Fastify({
    logger: options.logger ?? loggerOptions(config),
    genReqId: requestId,
    requestIdHeader: false,
    logController: accessLog,
    // Fastify takes a hop count too (proxy-addr); its types only list the other forms.
    trustProxy: config.trustProxy as boolean | string | string[],
    bodyLimit: config.bodyLimit,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    return503OnClosing: true,
    schemaController: lazySerializers,
    // A URL that does not decode never reaches routing or hooks; it still answers FastAPI's shape.
    frameworkErrors: (error, request, reply) => {
      const detail = error.code === 'FST_ERR_BAD_URL' ? 'Malformed URL: it does not decode as UTF-8' : error.message;
      // Untyped on purpose: this runs before any route, so no route's reply types apply.
      const raw = reply as unknown as { header(k: string, v: string): typeof raw; code(c: number): typeof raw; send(p: unknown): void };
      // Nor do the hooks of the security headers and HSTS: the same headers, from the same sources.
      for (const [name, value] of securityHeaderList()) raw.header(name, value);
      if (options.server) raw.header('strict-transport-security', HSTS);
      raw.header('x-request-id', request.id).code(error.statusCode ?? 400).send({ detail });
    },
    // Requests Node's parser refuses (malformed, head too large or too slow) answer {"detail"}
    // with the headers of every other answer.
    clientErrorHandler: clientErrorHandler(config, connections),
    // Timeouts and header size against slow or oversized requests (see plugins/server-limits.ts).
    ...serverLimits(config),
    // Typed as the plain server on purpose: the app never touches the HTTP/2 server's own API.
    ...(options.server as object | undefined),
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Answers sent before the request's body was read must reach clients that read only after
  // writing their whole request (see http/lingering-close.ts).
  connections.attach(app.server);
  // A request whose client went away before the answer gets no "request completed" line from
  // Fastify over HTTP/1.1 (its answer never finishes): it gets this one.
  app.addHook('onRequestAbort', (request, done) => {
    accessLog.clientWentAway(request);
    done();
  });

  if (config.trustProxy === true) {
    app.log.warn('TRUST_PROXY=on trusts every hop: a client can pick its address with X-Forwarded-For; prefer a hop count or the proxy addresses');
  }
  app.setValidatorCompiler(validatorCompiler);
  app.decorate('config', config);
  app.decorate('db', options.db ?? connect(config.database));
  app.decorate('store', options.store ?? (await createStore(config.mediaStore)));
  app.decorate('lifecycle', { ready: false });
  if (!options.db) app.addHook('onClose', async () => app.db.destroy());

  const purge = setInterval(() => {
    purgeExpiredSessions(app.db, app.sessionPolicy).catch((err: unknown) => app.log.warn({ err }, 'session purge failed'));
  }, 3600_000);
  purge.unref();
  app.addHook('onClose', async () => clearInterval(purge));

  if (options.server) await app.register(hsts); // before the routes, so every answer carries it
  // Headers first, so that a CORS preflight answered by plugins/cors.ts carries them too; CORS
  // before errors (see plugins/cors.ts); rate limits before any route is added.
  await app.register(serverLimitsOnHttp2, { config });
  await app.register(securityHeaders);
  await app.register(requestIdHeader);
  await app.register(requestHead, { maxHeaderSize: config.maxHeaderSize });
  await app.register(corsPolicy, { origins: config.corsOrigins });
  await app.register(errors, { bodyLimit: config.bodyLimit });
  await app.register(counters); // before the rate limits and auth, which count in it
  await app.register(rateLimits, { max: config.rateLimitMax, window: config.rateLimitWindow, authMax: config.authRateLimitMax });
  await app.register(bodyLimits);
  await app.register(etag);
  await app.register(cookie);
  // JSON is the only body type, except the OAuth2 form at /auth; Fastify's default text/plain
  // parser would otherwise let a text body through to validation instead of answering 415.
  app.removeContentTypeParser('text/plain');
  await app.register(auth, {
    policy: { idleTimeout: config.sessionIdleTimeout, maxAge: config.sessionMaxAge },
    loginWindow: config.loginWindow,
  });
  await app.register(docs, { version: VERSION });
  await app.register(readCache); // before the routes that ask for it

  await app.register(serviceRoutes);
  await app.register(async (scope) => {
    await scope.register(formbody, { bodyLimit: config.bodyLimit });
    await scope.register(tokenRoutes);
  });
  await app.register(userRoutes);
  await app.register(movieRoutes);
  await app.register(reviewRoutes);
  await app.register(mediaRoutes);
  await app.register(mediaSweep, { interval: config.mediaSweepInterval });
  await app.register(webClient, { root: options.webRoot });

  app.addHook('onReady', async () => {
    app.lifecycle.ready = true;
  });
  app.addHook('preClose', async () => {
    app.lifecycle.ready = false;
  });
  return app;
}
