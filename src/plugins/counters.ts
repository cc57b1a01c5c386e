import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { openCounterStore } from '../counters/open.js';
import type { CounterStore } from '../counters/store.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Counters shared by all instances: login throttle and request-rate limits. */
    counters: CounterStore;
  }
}

/** Opens the shared counter store (see counters/open.ts); needs `app.db` and `app.config`. */
export default fp(
  async function counters(app: FastifyInstance) {
    const store = await openCounterStore(app.config, app.db, app.log);
    app.decorate('counters', store);
    app.addHook('onClose', async () => store.close());
  },
  { name: 'counters' },
);
