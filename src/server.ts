import cluster from 'node:cluster';
import { rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { hostname } from 'node:os';
import path from 'node:path';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { buildApp, loggerOptions } from './app.js';
import { type Config, ConfigError } from './config.js';
import { type Db, connect, openDatabase } from './db/connect.js';
import { markServing } from './db/backup.js';
import { migrateToLatest } from './db/migrate.js';
import { sweepOrphans } from './modules/media/index.js';
import { createStore } from './storage/index.js';
import type { MediaStore } from './storage/store.js';
import { type TlsMaterial, loadTls, tlsServerOptions } from './tls/options.js';
import { createRedirectServer } from './tls/redirect.js';
import { closeConnectionsOnShutdown } from './tls/shutdown.js';

/** How long shutdown waits for requests in flight before closing anyway. */
export const SHUTDOWN_GRACE_MS = 10_000;

/** `http://host:port` as a person would type it: a wildcard address shown as localhost, IPv6 in brackets. */
function baseUrl(scheme: 'http' | 'https', host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return `${scheme}://${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
}

function boundPort(server: { address(): ReturnType<Server['address']> }, fallback: number): number {
  const address = server.address();
  return typeof address === 'object' && address ? address.port : fallback;
}

/** The start-up lines about the certificate: which file, and the fingerprint to compare with what a browser shows. */
function tlsLines(tls: TlsMaterial): string {
  const what = tls.origin === 'files' ? 'TLS_CERT' : `self-signed for ${tls.names.join(', ')}; ${tls.origin === 'created' ? 'made now' : 'reused'}`;
  return `  TLS cert:   ${tls.certFile} (${what})\n  SHA-256:    ${tls.fingerprint}\n`;
}

async function listenRedirect(server: Server, config: Config, port: number): Promise<void> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ConfigError('HTTP_REDIRECT_PORT', `cannot listen on ${config.host}:${port} (${why})`);
  }
}

/** The app's logger options with `fields` on every line (beside pid and hostname), so a process's lines can be told apart. */
export function loggerMarked(config: Config, fields: Record<string, unknown>): FastifyServerOptions['logger'] {
  const options = loggerOptions(config);
  return typeof options === 'object' ? { ...options, base: { pid: process.pid, hostname: hostname(), ...fields } } : options;
}

/** What a worker tells the cluster primary once it listens (the primary prints the start-up lines once for all). */
export interface ListeningMessage {
  type: 'butaca:listening';
  port: number;
  redirectPort: number | null;
}

/** What a worker tells the primary when it cannot start: the one line the primary prints for all of them. */
export interface FailedMessage {
  type: 'butaca:failed';
  line: string;
}

/** The lines printed once the server listens, plainly (not only logged) so a person starting it sees where to go. */
export function startLines(config: Config, tls: TlsMaterial | null, port: number, redirectPort: number | null, workers = 1): string {
  const base = baseUrl(tls ? 'https' : 'http', config.host, port);
  const where = config.database.kind === 'sqlite' ? config.database.path : 'PostgreSQL';
  return (
    `\nButaca is running\n  web client: ${base}/\n  API docs:   ${base}/docs\n  database:   ${where}\n` +
    (tls ? tlsLines(tls) : '') +
    (redirectPort === null ? '' : `  redirect:   ${baseUrl('http', config.host, redirectPort)}/ → ${base}/\n`) +
    (workers > 1 ? `  workers:    ${workers} processes\n` : '') +
    '\n'
  );
}

/**
 * Leftovers of a previous run, cleared once per start before anything serves: a crash between the
 * steps of an upload leaves temporary files and stored files nobody points at. Returns how many
 * stored files went.
 */
async function clearLeftovers(config: Config, db: Db, store: MediaStore): Promise<number> {
  await rm(path.join(config.dataDir, 'tmp'), { recursive: true, force: true });
  return sweepOrphans(db, store);
}

/**
 * The once-per-start work of a cluster primary, done before any worker exists so that N workers do
 * not race to migrate, sweep or make a certificate: check TLS, migrate, clear leftovers.
 */
export async function prepareStart(config: Config): Promise<{ tls: TlsMaterial | null; swept: number }> {
  const tls = await loadTls(config.tls);
  const db = connect(config.database);
  const store = await createStore(config.mediaStore);
  try {
    await migrateToLatest(db);
    const swept = await clearLeftovers(config, db, store);
    return { tls, swept };
  } finally {
    await Promise.all([db.destroy(), store.close()]);
  }
}

/**
 * Runs the server in this process until SIGTERM/SIGINT. `single` (WORKERS=1) does the whole start
 * itself; `worker` (a node:cluster worker) leaves migrations and the sweep to the primary, reports
 * to it instead of printing, and logs its worker id.
 */
export async function serve(config: Config, role: 'single' | 'worker' = 'single'): Promise<FastifyInstance> {
  // First: a missing or wrong certificate stops the start before the database is touched.
  const tls = await loadTls(config.tls);
  // This process owns the database and the store: it opens them here and closes them after the app.
  const database = openDatabase(config.database);
  // `restore` refuses a database a server is using; each process serving it says so (src/db/backup.ts).
  const unmark = config.database.kind === 'sqlite' ? markServing(config.database.path) : () => {};
  if (role === 'single') await migrateToLatest(database.db);
  const store = await createStore(config.mediaStore);
  const logger = role === 'worker' ? loggerMarked(config, { worker: cluster.worker?.id }) : undefined;
  const app = await buildApp(config, { database, store, ...(logger ? { logger } : {}), ...(tls ? { server: tlsServerOptions(tls) } : {}) });
  if (role === 'single') {
    const swept = await clearLeftovers(config, database.db, store);
    if (swept > 0) app.log.info({ files: swept }, 'removed orphaned media files');
  }
  app.addHook('onClose', async () => Promise.all([database.close(), store.close()]).then(unmark));
  if (tls) closeConnectionsOnShutdown(app);
  // The plain-HTTP redirect listener, when there is one, shuts down with the app (hooks cannot be
  // added once it listens, hence the variable). Its answers close their connections, so closing
  // the rest at once cuts only requests whose head has not even arrived.
  let redirect: Server | undefined;
  app.addHook('onClose', async () => {
    if (!redirect?.listening) return;
    const closed = new Promise<void>((resolve) => redirect!.close(() => resolve()));
    redirect.closeAllConnections();
    await closed;
  });
  await app.listen({ host: config.host, port: config.port });

  const port = boundPort(app.server, config.port);
  let redirectPort: number | null = null;
  if (tls && config.httpRedirectPort !== null) {
    redirect = createRedirectServer({ httpsPort: port, host: config.host, certNames: tls.names });
    await listenRedirect(redirect, config, config.httpRedirectPort).catch(async (err: unknown) => {
      await app.close();
      throw err;
    });
    redirectPort = boundPort(redirect, config.httpRedirectPort);
  }
  if (role === 'worker') {
    const message: ListeningMessage = { type: 'butaca:listening', port, redirectPort };
    process.send!(message);
  } else {
    process.stdout.write(startLines(config, tls, port, redirectPort));
  }

  let stopping = false;
  const stop = (reason: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal: reason }, 'shutting down');
    const force = setTimeout(() => {
      app.log.error('requests still running after the grace period; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  if (role === 'worker') {
    // A worker may get the signal twice (from a process-group kill, then from its primary): the
    // second must not end it mid-drain, as the default action would.
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    // A worker whose primary is gone gets no more connections: it drains what it has and exits
    // rather than lingering as an orphan.
    process.once('disconnect', () => stop('primary gone'));
  } else {
    // Once: a second Ctrl-C ends the process at once, for whoever does not want to wait.
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  }
  return app;
}
