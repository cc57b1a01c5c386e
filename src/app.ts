import cookie from '@fastify/cookie';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import cluster from 'node:cluster';
import pino from 'pino';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Config } from './config.js';
import type { Db, OpenDatabase } from './db/connect.js';
import type { DataVersion } from './db/data-version.js';
import type { WriteJournal } from './db/write-journal.js';
import { AccessLog, serializeRequest } from './http/access-log.js';
import { clientErrorHandler } from './http/client-errors.js';
import { Connections } from './http/lingering-close.js';
import { problem } from './http/problems.js';
import { lazySerializers } from './http/serializer.js';
import { validatorCompiler } from './http/validator.js';
import { authPlugin, authRoutes } from './modules/auth/index.js';
import { commentRoutes } from './modules/comments/index.js';
import { diaryRoutes } from './modules/diary/index.js';
import { feedRoutes } from './modules/feed/index.js';
import { searchRoutes } from './modules/search/index.js';
import { transferRoutes } from './modules/transfer/index.js';
import { followRoutes } from './modules/follows/index.js';
import { likeRoutes } from './modules/likes/index.js';
import { listRoutes } from './modules/lists/index.js';
import { mediaSweep } from './modules/media/index.js';
import { movieRoutes } from './modules/movies/index.js';
import { reviewRoutes } from './modules/reviews/index.js';
import { serviceRoutes } from './modules/service/index.js';
import { userRoutes } from './modules/users/index.js';
import { watchlistRoutes } from './modules/watchlist/index.js';
import bodyLimits from './plugins/body-limits.js';
import corsPolicy from './plugins/cors.js';
import counters from './plugins/counters.js';
import docs from './plugins/docs.js';
import errors from './plugins/errors.js';
import etag from './plugins/etag.js';
import jsonContentType from './plugins/json-content-type.js';
import metrics from './plugins/metrics.js';
import rateLimits from './plugins/rate-limits.js';
import readCache from './plugins/read-cache.js';
import requestHead from './plugins/request-head.js';
import requestIdHeader, { requestId } from './plugins/request-id.js';
import securityHeaders, { securityHeaderList } from './plugins/security-headers.js';
import serverLimitsOnHttp2, { serverLimits } from './plugins/server-limits.js';
import webClient from './plugins/web-client.js';
import type { MediaStore } from './storage/store.js';
import hsts, { HSTS } from './tls/hsts.js';
import type { TlsServerOptions } from './tls/options.js';

export { VERSION } from './package-info.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The configuration: the one way settings reach every plugin. */
    config: Config;
    db: Db;
    /** What says whether the data changed (src/db/data-version.ts): synchronous on SQLite, a round trip on PostgreSQL. */
    dataVersion: DataVersion;
    /** On SQLite, the rows this process's writes touched (src/db/write-journal.ts); undefined on PostgreSQL. */
    writeJournal: WriteJournal | undefined;
    store: MediaStore;
    /** `ready` is true between a finished start and the beginning of shutdown; /readyz reports it. */
    lifecycle: { ready: boolean };
  }
}

// Secrets travel in these; none of them may reach a log line. Only a top-level `headers` can hold
// them: the `req` and `res` of a line are what their serializers make (http/access-log.ts for req,
// Fastify's statusCode-only one for res), headers never among them, and pino redacts after
// serializing. Paths under req and res would only make pino clone and search both objects of
// every access line for nothing (2.7% of /healthz's CPU in its profile).
const REDACT = ['headers.authorization', 'headers.cookie', 'headers["set-cookie"]'];

let stdout: pino.DestinationStream | undefined;

/**
 * Standard output for the log lines, written in pieces of 4 KiB or every 250 ms, whichever comes
 * first. pino's default writes each line on its own (an fs.write through libuv's thread pool, a
 * round trip per line): at /healthz's rate that was most of the access line's cost, 27 µs of a
 * request against an answer of 38 µs without it (LOG_LEVEL=warn against info, bench/ab.sh). A
 * process that exits (process.exit, a fatal error, SIGTERM's shutdown) writes what is pending
 * first (pino flushes on exit); one killed with -9 loses at most the last quarter second of its
 * info lines. Warnings and errors are written at once.
 */
function stdoutDestination(): pino.DestinationStream {
  if (stdout === undefined) {
    const buffered = pino.destination({
      dest: 1,
      sync: false,
      periodicFlush: 250,
      // Workers of a cluster share the primary's standard output: a write to a pipe is whole only
      // up to PIPE_BUF (4,096 bytes), so theirs are pieces of whole lines of at most 1,365
      // characters (4,095 bytes in UTF-8), which two workers' writes never cut into each other
      // (sonic-boom wants the threshold below that size).
      ...(cluster.isWorker ? { minLength: 1024, maxWrite: 1365 } : { minLength: 4096 }),
    });
    let flushAfterWrite = false;
    stdout = {
      write(line: string) {
        buffered.write(line);
        // A warning or worse goes out at once, with what was pending before it (an operator, or
        // the primary's "worker exited" that a test waits for, must not wait for the next piece).
        // A line starts `{"level":NN`: 40 and over is warn, error, fatal.
        if (line.charCodeAt(9) >= 52) {
          buffered.flush();
          // flush() does nothing while a write is in flight, and the rest then waits for 4 KiB or
          // the next 250 ms: flush again when that write is done.
          if (!flushAfterWrite) {
            flushAfterWrite = true;
            buffered.once('drain', () => {
              flushAfterWrite = false;
              buffered.flush();
            });
          }
        }
      },
      // logger.flush() reaches the buffer through these (pino's own exit handler holds it directly).
      flush: (callback?: (err?: Error) => void) => buffered.flush(callback),
      flushSync: () => buffered.flushSync(),
    } as pino.DestinationStream;
  }
  return stdout;
}

export function loggerOptions(config: Config): FastifyServerOptions['logger'] {
  const pretty = process.stdout.isTTY && config.logLevel !== 'silent';
  return {
    level: config.logLevel,
    redact: { paths: REDACT, censor: '[redacted]' },
    serializers: { req: serializeRequest },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } } } : { stream: stdoutDestination() }),
  };
}

/**
 * What the app is built on. The database and the media store belong to whoever opened them (the
 * server, a test, the CLI): the app uses them and never closes them.
 */
export interface AppOptions {
  database: OpenDatabase;
  store: MediaStore;
  logger?: FastifyServerOptions['logger'];
  /** HTTPS with HTTP/2 (src/tls/options.ts); plain HTTP/1.1 without. */
  server?: TlsServerOptions;
}

/**
 * The composition root: the Fastify instance, the infrastructure plugins (each reads what it needs
 * from `app.config`), then the feature modules, in the order their declared dependencies require.
 */
export async function buildApp(config: Config, options: AppOptions): Promise<FastifyInstance> {
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
      const { status, body } = error.code === 'FST_ERR_BAD_URL' ? problem('malformed_url') : problem('bad_request', { reason: error.message });
      // Untyped on purpose: this runs before any route, so no route's reply types apply.
      const raw = reply as unknown as { header(k: string, v: string): typeof raw; code(c: number): typeof raw; send(p: unknown): void };
      // Nor do the hooks of the security headers and HSTS: the same headers, from the same sources.
      for (const [name, value] of securityHeaderList()) raw.header(name, value);
      if (options.server) raw.header('strict-transport-security', HSTS);
      raw.header('x-request-id', request.id).code(error.statusCode ?? status).send(body);
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
  app.decorate('db', options.database.db);
  app.decorate('dataVersion', options.database.dataVersion);
  app.decorate('writeJournal', options.database.journal);
  app.decorate('store', options.store);
  app.decorate('lifecycle', { ready: false });

  // Cross-cutting plugins; each declares the ones it must come after (fastify-plugin checks).
  await app.register(jsonContentType);
  if (options.server) await app.register(hsts);
  await app.register(serverLimitsOnHttp2);
  await app.register(securityHeaders);
  await app.register(requestIdHeader);
  await app.register(requestHead);
  await app.register(corsPolicy);
  await app.register(errors);
  await app.register(counters);
  await app.register(rateLimits);
  await app.register(bodyLimits);
  await app.register(etag);
  await app.register(cookie);
  // JSON is the only body type, except the OAuth2 form at /auth and the uploads; Fastify's default
  // text/plain parser would otherwise let a text body through to validation instead of a 415.
  app.removeContentTypeParser('text/plain');
  await app.register(authPlugin);
  await app.register(docs);
  await app.register(metrics);
  await app.register(readCache);

  // The feature modules (src/modules/): each one's routes, in one encapsulated scope each.
  await app.register(serviceRoutes);
  await app.register(authRoutes);
  await app.register(userRoutes);
  await app.register(movieRoutes);
  await app.register(reviewRoutes);
  await app.register(watchlistRoutes);
  await app.register(diaryRoutes);
  await app.register(likeRoutes);
  await app.register(commentRoutes);
  await app.register(followRoutes);
  await app.register(listRoutes);
  await app.register(feedRoutes);
  await app.register(searchRoutes);
  await app.register(transferRoutes);
  await app.register(mediaSweep);
  await app.register(webClient);

  app.addHook('onReady', async () => {
    app.lifecycle.ready = true;
  });
  app.addHook('preClose', async () => {
    app.lifecycle.ready = false;
  });
  return app;
}
