import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { DomainError } from '../../domain/errors.js';
import { pageOf, setPageHeaders } from '../../http/pagination.js';
import { principalOf } from '../../http/principal.js';
import { BODY_ERRORS, IdParams, NoContent, errors } from '../../http/schemas.js';
import { trimBodyFields } from '../../http/trim.js';
import { movieExists } from '../movies/index.js';
import { REVIEW_TABLES, createReview, deleteReview, findReview, listReviews, reviewDependencies, updateReview } from './data.js';
import { Review, ReviewCreate, ReviewListQuery, ReviewPageQuery, ReviewPatch, ReviewReplace, reviewOrderOf } from './schemas.js';
import { authorizeReview, halvesOfReviewBody } from './service.js';
import { feature } from '../../http/feature.js';
import { ratingRoutes } from './rating-routes.js';

// Reviews are stored trimmed; trimming before validation makes all-blank a 422 beside other errors.
const trimReview = trimBodyFields('review');

/** Every review list (all, a movie's, the caller's), every review write, and ratings without text. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(ratingRoutes);
  app.get(
    '/api/v1/reviews',
    {
      config: { readCache: true },
      schema: {
        tags: ['reviews'],
        summary: 'List reviews, oldest first unless sorted otherwise',
        querystring: ReviewListQuery,
        response: { 200: Type.Array(Review, { description: 'A page of reviews' }), ...errors(422) },
      },
    },
    async (request, reply) => {
      const { page, limit } = pageOf(request.query);
      const { movie_id, user_id } = request.query;
      const { reviews, total } = await listReviews(app.db, { page, limit, movieId: movie_id, userId: user_id, ...reviewOrderOf(request.query) });
      setPageHeaders(request, reply, { page, limit }, total);
      return reviews;
    },
  );

  app.get(
    '/api/v1/reviews/:id',
    {
      config: { readCache: { tables: REVIEW_TABLES, scope: (payload) => reviewDependencies(payload as Review) } },
      schema: { tags: ['reviews'], summary: 'One review', params: IdParams, response: { 200: Review, ...errors(404, 422) } },
    },
    async (request) => {
      const review = await findReview(app.db, request.params.id);
      if (!review) throw new DomainError('review_not_found');
      return review;
    },
  );

  app.post(
    '/api/v1/reviews',
    {
      config: { auth: 'user' },
      preValidation: trimReview,
      schema: {
        tags: ['reviews'],
        summary: 'Review a movie (once per movie)',
        body: ReviewCreate,
        response: { 201: Review, ...errors(404, 409, ...BODY_ERRORS) },
      },
    },
    async (request, reply) => {
      const { movie_id, review, spoiler } = request.body;
      const created = await createReview(app.db, principalOf(request).userId, movie_id, review, halvesOfReviewBody(request.body, true)!, spoiler);
      return reply.code(201).header('location', `/api/v1/reviews/${created.id}`).send(created);
    },
  );

  app.put(
    '/api/v1/reviews/:id',
    {
      config: { auth: 'user' },
      preValidation: trimReview,
      schema: {
        tags: ['reviews'],
        summary: 'Replace your review',
        params: IdParams,
        body: ReviewReplace,
        response: { 200: Review, ...errors(403, 404, ...BODY_ERRORS) },
      },
    },
    async (request) => {
      const halves = halvesOfReviewBody(request.body, true)!;
      await authorizeReview(app.db, request.params.id, principalOf(request), 'change');
      const { review, spoiler } = request.body;
      const updated = await updateReview(app.db, request.params.id, { review, halves, ...(spoiler !== undefined ? { spoiler } : {}) });
      if (!updated) throw new DomainError('review_not_found');
      return updated;
    },
  );

  app.patch(
    '/api/v1/reviews/:id',
    {
      config: { auth: 'user' },
      preValidation: trimReview,
      schema: {
        tags: ['reviews'],
        summary: 'Change part of your review',
        params: IdParams,
        body: ReviewPatch,
        response: { 200: Review, ...errors(403, 404, ...BODY_ERRORS) },
      },
    },
    async (request) => {
      const halves = halvesOfReviewBody(request.body, false);
      await authorizeReview(app.db, request.params.id, principalOf(request), 'change');
      const { review, spoiler } = request.body;
      const changes = { ...(review !== undefined ? { review } : {}), ...(halves !== undefined ? { halves } : {}), ...(spoiler !== undefined ? { spoiler } : {}) };
      const updated = await updateReview(app.db, request.params.id, changes);
      if (!updated) throw new DomainError('review_not_found');
      return updated;
    },
  );

  app.delete(
    '/api/v1/reviews/:id',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['reviews'],
        summary: 'Delete a review (its author or an administrator)',
        params: IdParams,
        response: { 204: NoContent, ...errors(403, 404, 422) },
      },
    },
    async (request, reply) => {
      await authorizeReview(app.db, request.params.id, principalOf(request), 'delete');
      if (!(await deleteReview(app.db, request.params.id))) throw new DomainError('review_not_found');
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/v1/movies/:id/reviews',
    {
      config: { readCache: true },
      schema: {
        tags: ['reviews'],
        summary: 'A movie’s reviews, oldest first unless sorted otherwise',
        params: IdParams,
        querystring: ReviewPageQuery,
        response: { 200: Type.Array(Review, { description: 'A page of reviews' }), ...errors(404, 422) },
      },
    },
    async (request, reply) => {
      if (!(await movieExists(app.db, request.params.id))) throw new DomainError('movie_not_found');
      const page = pageOf(request.query);
      const { reviews, total } = await listReviews(app.db, { ...page, movieId: request.params.id, ...reviewOrderOf(request.query) });
      setPageHeaders(request, reply, page, total);
      return reviews;
    },
  );

  app.get(
    '/api/v1/users/reviews',
    {
      config: { auth: 'user', readCache: true },
      schema: {
        tags: ['reviews'],
        summary: 'The caller’s own reviews, oldest first unless sorted otherwise',
        querystring: ReviewPageQuery,
        response: { 200: Type.Array(Review, { description: 'A page of the caller’s reviews' }), ...errors(422) },
      },
    },
    async (request, reply) => {
      const page = pageOf(request.query);
      const { reviews, total } = await listReviews(app.db, { ...page, userId: principalOf(request).userId, ...reviewOrderOf(request.query) });
      setPageHeaders(request, reply, page, total);
      return reviews;
    },
  );
};

export default feature('reviews', routes);
