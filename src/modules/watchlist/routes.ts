import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { DomainError } from '../../domain/errors.js';
import { feature } from '../../http/feature.js';
import { PageQuery, pageOf, setPageHeaders } from '../../http/pagination.js';
import { principalOf } from '../../http/principal.js';
import { IdParams, NoContent, errors } from '../../http/schemas.js';
import { Movie, movieExists, toMovie } from '../movies/index.js';
import { userExists } from '../users/index.js';
import { addToWatchlist, listWatchlist, removeFromWatchlist } from './data.js';
import { MovieIdParams } from './schemas.js';

const ListQuery = Type.Object({ ...PageQuery });
const MoviePage = Type.Array(Movie, { description: 'A page of the watchlist, last added first' });

/** The movies a member wants to see: added and removed idempotently, listed for anyone, last added first. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  async function page(request: FastifyRequest, reply: FastifyReply, userId: number, query: { page?: number; limit?: number }) {
    const p = pageOf(query);
    const { rows, total } = await listWatchlist(app.db, userId, p);
    setPageHeaders(request, reply, p, total);
    return rows.map(toMovie);
  }

  app.put(
    '/api/v1/users/me/watchlist/:movie_id',
    {
      config: { auth: 'user' },
      schema: { tags: ['watchlist'], summary: 'Add a movie to your watchlist (idempotent)', params: MovieIdParams, response: { 204: NoContent, ...errors(404, 422) } },
    },
    async (request, reply) => {
      await addToWatchlist(app.db, principalOf(request).userId, request.params.movie_id);
      return reply.code(204).send();
    },
  );

  app.delete(
    '/api/v1/users/me/watchlist/:movie_id',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['watchlist'],
        summary: 'Take a movie off your watchlist (idempotent)',
        description: '204 whether or not it was there; 404 only for a movie that does not exist.',
        params: MovieIdParams,
        response: { 204: NoContent, ...errors(404, 422) },
      },
    },
    async (request, reply) => {
      const movieId = request.params.movie_id;
      await removeFromWatchlist(app.db, principalOf(request).userId, movieId);
      if (!(await movieExists(app.db, movieId))) throw new DomainError('movie_not_found');
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/v1/users/me/watchlist',
    {
      config: { auth: 'user' },
      schema: { tags: ['watchlist'], summary: 'Your watchlist, last added first', querystring: ListQuery, response: { 200: MoviePage, ...errors(422) } },
    },
    async (request, reply) => page(request, reply, principalOf(request).userId, request.query),
  );

  app.get(
    '/api/v1/users/:id/watchlist',
    {
      schema: {
        tags: ['watchlist'],
        summary: 'A member’s watchlist, last added first',
        params: IdParams,
        querystring: ListQuery,
        response: { 200: MoviePage, ...errors(404, 422) },
      },
    },
    async (request, reply) => {
      if (!(await userExists(app.db, request.params.id))) throw new DomainError('user_not_found');
      return page(request, reply, request.params.id, request.query);
    },
  );
};

export default feature('watchlist', routes);
