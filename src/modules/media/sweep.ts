import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { sweepOrphans } from './service.js';

/**
 * The orphan sweep of the start (src/server.ts), again every MEDIA_SWEEP_INTERVAL seconds while the server
 * runs: a long-lived process would otherwise keep the unfinished write of an upload cut off by a
 * crash elsewhere, or the files of a failed delete, until its next start. Every instance sweeps;
 * deleting what another instance has already deleted is harmless, and only what is older than
 * the grace period (service.ts) is taken. A failed sweep is logged and tried again next time.
 */
export default fp(
  async function mediaSweep(app: FastifyInstance) {
    const interval = app.config.mediaSweepInterval;
    if (interval === 0) return;
    let running: Promise<void> | undefined;
    const timer = setInterval(() => {
      if (running) return; // a slow store: never two sweeps at once
      running = sweepOrphans(app.db, app.store)
        .then(
          (removed) => {
            if (removed > 0) app.log.info({ files: removed }, 'removed orphaned media files');
          },
          (err: unknown) => app.log.warn({ err }, 'media sweep failed; trying again at the next interval'),
        )
        .finally(() => (running = undefined));
    }, interval * 1000);
    timer.unref();
    app.addHook('onClose', async () => {
      clearInterval(timer);
      await running;
    });
  },
  { name: 'media-sweep' },
);
