import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { DomainError } from '../../domain/errors.js';
import { invalidField } from '../../domain/issues.js';
import { feature } from '../../http/feature.js';
import { PageQuery, pageOf, setPageHeaders } from '../../http/pagination.js';
import { principalOf } from '../../http/principal.js';
import { IdParams, IdsQuery, NoContent, errors, idsOf } from '../../http/schemas.js';
import { User } from '../users/index.js';
import { type FollowSide, follow, followedAmong, listFollows, unfollow } from './data.js';

const UserIdParams = Type.Object({ user_id: Type.Integer({ minimum: 1, maximum: 2147483647, description: 'A member’s id' }) });
const UserPage = Type.Array(User, { description: 'A page of members, latest follow first' });

/** Follows: idempotent follow and unfollow, each member's followers and following. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.put(
    '/api/v1/users/me/following/:user_id',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['follows'],
        summary: 'Follow a member (idempotent)',
        description: 'What they do from now on, and their latest 1,000 activities, appear in your feed. Yourself → 422.',
        params: UserIdParams,
        response: { 204: NoContent, ...errors(404, 422) },
      },
    },
    async (request, reply) => {
      const me = principalOf(request).userId;
      if (request.params.user_id === me) throw invalidField(['path', 'user_id'], 'follow_self');
      await follow(app.db, me, request.params.user_id);
      return reply.code(204).send();
    },
  );

  app.delete(
    '/api/v1/users/me/following/:user_id',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['follows'],
        summary: 'Stop following a member (idempotent)',
        description: 'Everything of theirs leaves your feed.',
        params: UserIdParams,
        response: { 204: NoContent, ...errors(404, 422) },
      },
    },
    async (request, reply) => {
      await unfollow(app.db, principalOf(request).userId, request.params.user_id);
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/v1/users/me/follow-states',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['follows'],
        summary: 'Whether you follow some members',
        description: 'One entry per user id asked for, in that order.',
        querystring: IdsQuery('user'),
        response: { 200: Type.Array(Type.Object({ user_id: Type.Integer(), following: Type.Boolean() }, { title: 'FollowState' })), ...errors(422) },
      },
    },
    async (request) => {
      const ids = idsOf(request.query);
      const followed = await followedAmong(app.db, principalOf(request).userId, ids);
      return ids.map((id) => ({ user_id: id, following: followed.has(id) }));
    },
  );

  const side = (typed: FastifyInstance, path: string, which: FollowSide, summary: string) =>
    typed.withTypeProvider<TypeBoxTypeProvider>().get(
      path,
      { config: { readCache: true }, schema: { tags: ['follows'], summary, params: IdParams, querystring: Type.Object({ ...PageQuery }), response: { 200: UserPage, ...errors(404, 422) } } },
      async (request, reply) => {
        const page = pageOf(request.query);
        const found = await listFollows(app.db, request.params.id, which, page);
        if (!found) throw new DomainError('user_not_found');
        setPageHeaders(request, reply, page, found.total);
        return found.users;
      },
    );
  side(app, '/api/v1/users/:id/followers', 'followers', 'A member’s followers, latest first');
  side(app, '/api/v1/users/:id/following', 'following', 'Whom a member follows, latest first');

  // The caller's own, as /users/me/diary and /users/me/watchlist are.
  for (const which of ['followers', 'following'] as const) {
    app.get(
      `/api/v1/users/me/${which}`,
      {
        config: { auth: 'user', readCache: true },
        schema: {
          tags: ['follows'],
          summary: which === 'followers' ? 'Your followers, latest first' : 'Whom you follow, latest first',
          querystring: Type.Object({ ...PageQuery }),
          response: { 200: UserPage, ...errors(422) },
        },
      },
      async (request, reply) => {
        const page = pageOf(request.query);
        const found = (await listFollows(app.db, principalOf(request).userId, which, page))!;
        setPageHeaders(request, reply, page, found.total);
        return found.users;
      },
    );
  }
};

export default feature('follows', routes);
