import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DomainError } from '../../domain/errors.js';
import { halvesOf } from '../../domain/ratings.js';
import { principalOf } from '../../http/principal.js';
import { BODY_ERRORS, IdParams, NoContent, errors } from '../../http/schemas.js';
import { deleteRating, findRating, setRating } from './ratings.js';
import { MovieRating, RatingBody } from './schemas.js';

const toRating = (movieId: number, row: { halves: number; updated_at: string }): MovieRating => ({
  movie_id: movieId,
  rating: row.halves / 2,
  updated_at: row.updated_at,
});

/** Rating without writing: the caller's half-star rating of a movie. */
export const ratingRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/v1/movies/:id/rating',
    {
      config: { auth: 'user' },
      schema: { tags: ['ratings'], summary: 'Your rating of a movie', params: IdParams, response: { 200: MovieRating, ...errors(404, 422) } },
    },
    async (request) => {
      const row = await findRating(app.db, principalOf(request).userId, request.params.id);
      if (!row) throw new DomainError('rating_not_found');
      return toRating(request.params.id, row);
    },
  );

  app.put(
    '/api/v1/movies/:id/rating',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['ratings'],
        summary: 'Rate a movie, with or without a review',
        description: 'Also changes the rating (and score) of your review of it, if you wrote one.',
        params: IdParams,
        body: RatingBody,
        response: { 200: MovieRating, ...errors(404, ...BODY_ERRORS) },
      },
    },
    async (request) => {
      const row = await setRating(app.db, principalOf(request).userId, request.params.id, halvesOf(request.body.rating));
      return toRating(request.params.id, row);
    },
  );

  app.delete(
    '/api/v1/movies/:id/rating',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['ratings'],
        summary: 'Remove your rating of a movie',
        description: 'Refused (409) while your review of it holds the rating: delete the review instead.',
        params: IdParams,
        response: { 204: NoContent, ...errors(404, 409, 422) },
      },
    },
    async (request, reply) => {
      await deleteRating(app.db, principalOf(request).userId, request.params.id);
      return reply.code(204).send();
    },
  );
};
