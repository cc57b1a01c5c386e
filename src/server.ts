import { rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { type Config, ConfigError } from './config.js';
import { connect } from './db/connect.js';
import { migrateToLatest } from './db/migrate.js';
import { sweepOrphans } from './routes/media/files.js';
import { createStore } from './storage/index.js';
import { type TlsMaterial, loadTls, tlsServerOptions } from './tls/options.js';
import { createRedirectServer } from './tls/redirect.js';
import { closeConnectionsOnShutdown } from './tls/shutdown.js';

/** How long shutdown waits for requests in flight before closing anyway. */
const SHUTDOWN_GRACE_MS = 10_000;

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

export async function serve(config: Config): Promise<FastifyInstance> {
  // First: a missing or wrong certificate stops the start before the database is touched.
  const tls = await loadTls(config.tls);
  const db = connect(config.database);
  await migrateToLatest(db);
  const store = createStore(config.mediaStore);
  const app = await buildApp(config, { db, store, ...(tls ? { server: tlsServerOptions(tls) } : {}) });
  // A crash between the steps of an upload leaves files nobody points at; this is where they go.
  await rm(path.join(config.dataDir, 'tmp'), { recursive: true, force: true });
  const swept = await sweepOrphans(db, store);
  if (swept > 0) app.log.info({ files: swept }, 'removed orphaned media files');
  app.addHook('onClose', async () => db.destroy());
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
  const base = baseUrl(tls ? 'https' : 'http', config.host, port);
  let redirectLine = '';
  if (tls && config.httpRedirectPort !== null) {
    redirect = createRedirectServer({ httpsPort: port, host: config.host, certNames: tls.names });
    await listenRedirect(redirect, config, config.httpRedirectPort).catch(async (err: unknown) => {
      await app.close();
      throw err;
    });
    redirectLine = `  redirect:   ${baseUrl('http', config.host, boundPort(redirect, config.httpRedirectPort))}/ → ${base}/\n`;
  }
  const where = config.database.kind === 'sqlite' ? config.database.path : 'PostgreSQL';
  // Printed plainly, not only logged, so a person starting it sees where to go.
  process.stdout.write(
    `\nButaca is running\n  web client: ${base}/\n  API docs:   ${base}/docs\n  database:   ${where}\n` +
      (tls ? tlsLines(tls) : '') +
      redirectLine +
      '\n',
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
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
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return app;
}
