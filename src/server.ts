import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import { connect } from './db/connect.js';
import { migrateToLatest } from './db/migrate.js';
import { sweepOrphans } from './routes/media/files.js';
import { createStore } from './storage/index.js';

/** How long shutdown waits for requests in flight before closing anyway. */
const SHUTDOWN_GRACE_MS = 10_000;

export async function serve(config: Config): Promise<FastifyInstance> {
  const db = connect(config.database);
  await migrateToLatest(db);
  const store = createStore(config.mediaStore);
  const app = await buildApp(config, { db, store });
  // A crash between the steps of an upload leaves files nobody points at; this is where they go.
  await rm(path.join(config.dataDir, 'tmp'), { recursive: true, force: true });
  const swept = await sweepOrphans(db, store);
  if (swept > 0) app.log.info({ files: swept }, 'removed orphaned media files');
  app.addHook('onClose', async () => db.destroy());
  await app.listen({ host: config.host, port: config.port });

  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const base = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`;
  const where = config.database.kind === 'sqlite' ? config.database.path : 'PostgreSQL';
  // Printed plainly, not only logged, so a person starting it sees where to go.
  process.stdout.write(`\nButaca is running\n  web client: ${base}/\n  API docs:   ${base}/docs\n  database:   ${where}\n\n`);

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
