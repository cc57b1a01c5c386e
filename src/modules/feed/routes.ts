import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { feature } from '../../http/feature.js';
import { principalOf } from '../../http/principal.js';
import { errors } from '../../http/schemas.js';
import { Activity, FeedQuery } from './schemas.js';
import { activityIdOf, cursorOf, feedPage } from './service.js';

/** The feed: what the members someone follows did, newest first, by cursor. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/v1/users/me/feed',
    {
      config: { auth: 'user', readCache: true },
      schema: {
        tags: ['feed'],
        summary: 'What the members you follow did, newest first',
        description:
          'Cursor pagination: the next page is in `Link: <…>; rel="next"` (absent on the last page). A cursor keeps working while new activity arrives: the next page follows on from where this one ended, with no repeats and no gaps. No X-Total-Count.',
        querystring: FeedQuery,
        response: { 200: Type.Array(Activity, { description: 'A page of activities, newest first' }), ...errors(422) },
      },
    },
    async (request, reply) => {
      const limit = request.query.limit ?? 10;
      const before = request.query.before === undefined ? undefined : activityIdOf(request.query.before);
      const { activities, next } = await feedPage(app.db, principalOf(request).userId, before, limit);
      if (next !== undefined) {
        const params = new URLSearchParams({ limit: String(limit), before: cursorOf(next) });
        reply.header('link', `<${request.url.split('?', 1)[0]}?${params.toString()}>; rel="next"`);
      }
      return activities;
    },
  );
};

export default feature('feed', routes);
