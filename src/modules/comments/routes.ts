import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { DomainError } from '../../domain/errors.js';
import { feature } from '../../http/feature.js';
import { PageQuery, pageOf, setPageHeaders } from '../../http/pagination.js';
import { principalOf } from '../../http/principal.js';
import { BODY_ERRORS, IdParams, NoContent, errors } from '../../http/schemas.js';
import { trimBodyFields } from '../../http/trim.js';
import { createComment, deleteComment, findComment, listComments } from './data.js';
import { Comment, CommentCreate } from './schemas.js';
import { authorizeCommentDeletion, throttleComments } from './service.js';

/** Comments under reviews: listed oldest first, posted by members (throttled), deleted by those it concerns. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/v1/reviews/:id/comments',
    {
      config: { readCache: true },
      schema: {
        tags: ['comments'],
        summary: 'A review’s comments, oldest first',
        params: IdParams,
        querystring: Type.Object({ ...PageQuery }),
        response: { 200: Type.Array(Comment, { description: 'A page of comments' }), ...errors(404, 422) },
      },
    },
    async (request, reply) => {
      const page = pageOf(request.query);
      const found = await listComments(app.db, request.params.id, page);
      if (!found) throw new DomainError('review_not_found');
      setPageHeaders(request, reply, page, found.total);
      return found.comments;
    },
  );

  app.post(
    '/api/v1/reviews/:id/comments',
    {
      config: { auth: 'user' },
      preValidation: trimBodyFields('text'),
      schema: {
        tags: ['comments'],
        summary: 'Comment on a review',
        description: 'At most 100 comments a minute per member (429 with Retry-After past that).',
        params: IdParams,
        body: CommentCreate,
        response: { 201: Comment, ...errors(404, 429, ...BODY_ERRORS) },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      await throttleComments(app.counters, userId);
      const comment = await createComment(app.db, userId, request.params.id, request.body.text);
      return reply.code(201).header('location', `/api/v1/comments/${comment.id}`).send(comment);
    },
  );

  app.get(
    '/api/v1/comments/:id',
    {
      config: { readCache: true },
      schema: { tags: ['comments'], summary: 'One comment (where a new comment’s Location points)', params: IdParams, response: { 200: Comment, ...errors(404, 422) } },
    },
    async (request) => {
      const comment = await findComment(app.db, request.params.id);
      if (!comment) throw new DomainError('comment_not_found');
      return comment;
    },
  );

  app.delete(
    '/api/v1/comments/:id',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['comments'],
        summary: 'Delete a comment (its author, the review’s author or an administrator)',
        params: IdParams,
        response: { 204: NoContent, ...errors(403, 404, 422) },
      },
    },
    async (request, reply) => {
      await authorizeCommentDeletion(app.db, request.params.id, principalOf(request));
      if (!(await deleteComment(app.db, request.params.id))) throw new DomainError('comment_not_found');
      return reply.code(204).send();
    },
  );
};

export default feature('comments', routes);
