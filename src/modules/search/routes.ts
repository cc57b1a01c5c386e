import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { feature } from '../../http/feature.js';
import { errors } from '../../http/schemas.js';
import { SearchQuery, SearchResults } from './schemas.js';
import { searchAll } from './service.js';

/** One search box for everything: movies, reviews, members and public lists. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/v1/search',
    {
      config: { readCache: true },
      schema: {
        tags: ['search'],
        summary: 'Search movies, reviews, members and public lists',
        description:
          'Full-text search in each: every word must be the start of a word of the thing (in any order, ignoring case and accents). A few of each kind, best first. The movie list (`GET /api/v1/movies?q=`) pages through every matching movie.',
        querystring: SearchQuery,
        response: { 200: SearchResults, ...errors(422) },
      },
    },
    async (request) => searchAll(app.db, request.query.q, request.query.limit ?? 5),
  );
};

export default feature('search', routes);
