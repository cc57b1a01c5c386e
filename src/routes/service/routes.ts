import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { sql } from 'kysely';
import { Type } from 'typebox';
import { HttpError } from '../../http/errors.js';
import { errors } from '../../http/schemas.js';

const Status = Type.Object({ status: Type.String() }, { description: 'The state' });

const HOME = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Butaca</title></head>
<body><main><h1>Butaca</h1><p>Movie reviews over HTTP.</p>
<p><a href="/docs">API documentation</a> · <a href="/openapi.json">OpenAPI document</a> · <a href="/api/v1/movies">Movies</a></p>
</main></body></html>`;

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(HOME));

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
      if (!app.lifecycle.ready) throw new HttpError(503, 'Not ready');
      try {
        await sql`select 1`.execute(app.db);
      } catch {
        throw new HttpError(503, 'Database unavailable');
      }
      return { status: 'ready' };
    },
  );
};

export default routes;
