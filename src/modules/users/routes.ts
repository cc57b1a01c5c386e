import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DomainError } from '../../domain/errors.js';
import { principalOf } from '../../http/principal.js';
import { BODY_ERRORS, IdParams, errors } from '../../http/schemas.js';
import { findUserById } from './data.js';
import { User, UserCreate } from './schemas.js';
import { createUser } from './service.js';
import { feature } from '../../http/feature.js';

/** Accounts as others see them: registration, the caller, a public profile. Logging in is the auth module's. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/v1/users',
    { schema: { tags: ['users'], summary: 'Register', body: UserCreate, response: { 201: User, ...errors(409, ...BODY_ERRORS) } } },
    async (request, reply) => {
      const user = await createUser(app.db, request.body.username, request.body.password);
      return reply.code(201).header('location', `/api/v1/users/${user.id}`).send(user);
    },
  );

  app.get(
    '/api/v1/users/me',
    { config: { auth: 'user' }, schema: { tags: ['users'], summary: 'The caller', response: { 200: User } } },
    async (request) => {
      const me = principalOf(request);
      return { id: me.userId, username: me.username, role: me.role, created_at: me.createdAt };
    },
  );

  app.get(
    '/api/v1/users/:id',
    { schema: { tags: ['users'], summary: 'A user’s public profile', params: IdParams, response: { 200: User, ...errors(404, 422) } } },
    async (request) => {
      const user = await findUserById(app.db, request.params.id);
      if (!user) throw new DomainError('user_not_found');
      return user;
    },
  );
};

export default feature('users', routes);
