import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { sql } from 'kysely';
import { Type } from 'typebox';
import { DomainError } from '../../domain/errors.js';
import { errors } from '../../http/schemas.js';
import { feature } from '../../http/feature.js';

const Status = Type.Object({ status: Type.String() }, { description: 'The state' });

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/healthz',
    { schema: { tags: ['service'], summary: 'Liveness: 200 while the process runs', response: { 200: Status } } },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['service'],
        summary: 'Readiness: 200 when the database answers; 503 while starting or shutting down',
        response: { 200: Status, ...errors(503) },
      },
    },
    async () => {
      if (!app.lifecycle.ready) throw new DomainError('not_ready');
      try {
        await sql`select 1`.execute(app.db);
      } catch {
        throw new DomainError('database_unavailable');
      }
      return { status: 'ready' };
    },
  );
};

export default feature('service', routes);
