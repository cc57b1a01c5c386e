import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { feature } from '../../http/feature.js';
import { PageQuery, pageOf, setPageHeaders } from '../../http/pagination.js';
import { principalOf } from '../../http/principal.js';
import { IdParams, IdsQuery, NoContent, errors, idsOf } from '../../http/schemas.js';
import { Review } from '../reviews/index.js';
import { likeReview, likedAmong, listLikedReviews, unlikeReview } from './data.js';

const ReviewState = Type.Object(
  { review_id: Type.Integer(), liked: Type.Boolean({ description: 'You like it' }) },
  { title: 'ReviewState', description: 'What you have done with a review' },
);

/** Likes on reviews: given and taken back idempotently, and each member's liked reviews. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.put(
    '/api/v1/reviews/:id/like',
    {
      config: { auth: 'user' },
      schema: { tags: ['likes'], summary: 'Like a review (idempotent)', params: IdParams, response: { 204: NoContent, ...errors(404, 422) } },
    },
    async (request, reply) => {
      await likeReview(app.db, principalOf(request).userId, request.params.id);
      return reply.code(204).send();
    },
  );

  app.delete(
    '/api/v1/reviews/:id/like',
    {
      config: { auth: 'user' },
      schema: { tags: ['likes'], summary: 'Take back your like of a review (idempotent)', params: IdParams, response: { 204: NoContent, ...errors(404, 422) } },
    },
    async (request, reply) => {
      await unlikeReview(app.db, principalOf(request).userId, request.params.id);
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/v1/users/me/likes',
    {
      config: { auth: 'user', readCache: true },
      schema: {
        tags: ['likes'],
        summary: 'The reviews you liked, last liked first',
        querystring: Type.Object({ ...PageQuery }),
        response: { 200: Type.Array(Review, { description: 'A page of reviews' }), ...errors(422) },
      },
    },
    async (request, reply) => {
      const page = pageOf(request.query);
      const { reviews, total } = await listLikedReviews(app.db, principalOf(request).userId, page);
      setPageHeaders(request, reply, page, total);
      return reviews;
    },
  );

  app.get(
    '/api/v1/users/me/review-states',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['likes'],
        summary: 'Whether you like some reviews',
        description: 'One entry per review id asked for, in that order (one request for a page of reviews); ids of reviews that do not exist answer `liked: false`.',
        querystring: IdsQuery('review'),
        response: { 200: Type.Array(ReviewState), ...errors(422) },
      },
    },
    async (request) => {
      const ids = idsOf(request.query);
      const liked = await likedAmong(app.db, principalOf(request).userId, ids);
      return ids.map((id) => ({ review_id: id, liked: liked.has(id) }));
    },
  );
};

export default feature('likes', routes);
