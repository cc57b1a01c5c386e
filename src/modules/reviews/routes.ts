import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { forbidden, notFound } from '../../http/errors.js';
import { pageOf, setPageHeaders } from '../../http/pagination.js';
import { BODY_ERRORS, IdParams, NoContent, errors } from '../../http/schemas.js';
import { trimBodyFields } from '../../http/trim.js';
import { principalOf } from '../auth/plugin.js';
import { createReview, deleteReview, findReview, findReviewOwner, listReviews, updateReview } from './data.js';
import { Review, ReviewCreate, ReviewListQuery, ReviewPatch, ReviewReplace, reviewOrderOf } from './schemas.js';

// Reviews are stored trimmed; trimming before validation makes all-blank a 422 beside other errors.
const trimReview = trimBodyFields('review');

const routes: FastifyPluginAsyncTypebox = async (app) => {
  /** 404 when the review is missing, 403 when the caller may not touch it. */
  async function authorize(reviewId: number, userId: number, adminMayAct: boolean, role: string): Promise<void> {
    const owner = await findReviewOwner(app.db, reviewId);
    if (owner === undefined) throw notFound('Review');
    if (owner !== userId && !(adminMayAct && role === 'admin')) {
      throw forbidden(adminMayAct ? 'Only the author or an administrator may delete this review' : 'Only the author may change this review');
    }
  }

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
    { config: { readCache: true }, schema: { tags: ['reviews'], summary: 'One review', params: IdParams, response: { 200: Review, ...errors(404, 422) } } },
    async (request) => {
      const review = await findReview(app.db, request.params.id);
      if (!review) throw notFound('Review');
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
      const { movie_id, review, score } = request.body;
      const created = await createReview(app.db, principalOf(request).userId, movie_id, review, score);
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
      const me = principalOf(request);
      await authorize(request.params.id, me.userId, false, me.role);
      const updated = await updateReview(app.db, request.params.id, { review: request.body.review, score: request.body.score });
      if (!updated) throw notFound('Review');
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
      const me = principalOf(request);
      await authorize(request.params.id, me.userId, false, me.role);
      const { review, score } = request.body;
      const changes = { ...(review !== undefined ? { review } : {}), ...(score !== undefined ? { score } : {}) };
      const updated = await updateReview(app.db, request.params.id, changes);
      if (!updated) throw notFound('Review');
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
      const me = principalOf(request);
      await authorize(request.params.id, me.userId, true, me.role);
      if (!(await deleteReview(app.db, request.params.id))) throw notFound('Review');
      return reply.code(204).send();
    },
  );
};

export default routes;
