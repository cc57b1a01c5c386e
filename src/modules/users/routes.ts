import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DomainError } from '../../domain/errors.js';
import { principalOf } from '../../http/principal.js';
import { BODY_ERRORS, IdParams, errors } from '../../http/schemas.js';
import { trimBodyFields } from '../../http/trim.js';
import { avatarRoutes } from '../media/index.js';
import { findUserById, findUserByName, userExists } from './data.js';
import { User, UserCreate, UsernameParams } from './schemas.js';
import { createUser, findUserWithEmail } from './service.js';
import { feature } from '../../http/feature.js';

/** Accounts as others see them: registration, the caller, public profiles and avatars. Logging in is the auth module's. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(avatarRoutes, { userExists });

  app.post(
    '/api/v1/users',
    { preValidation: trimBodyFields('email'), schema: { tags: ['users'], summary: 'Register', body: UserCreate, response: { 201: User, ...errors(409, ...BODY_ERRORS) } } },
    async (request, reply) => {
      const user = await createUser(app.db, request.body.username, request.body.password, 'user', request.body.email ?? null);
      return reply.code(201).header('location', `/api/v1/users/${user.id}`).send(user);
    },
  );

  app.get(
    '/api/v1/users/me',
    { config: { auth: 'user' }, schema: { tags: ['users'], summary: 'The caller, with their profile', response: { 200: User } } },
    async (request) => {
      const me = await findUserWithEmail(app.db, principalOf(request).userId);
      // The account went between the session check and this read.
      if (!me) throw new DomainError('not_authenticated');
      return me;
    },
  );

  // PATCH /api/v1/users/me is the auth module's: changing the email needs the password again.

  app.get(
    '/api/v1/profiles/:username',
    {
      schema: {
        tags: ['users'],
        summary: 'A member’s public profile, by username',
        description: 'Ignoring case, as usernames are unique: what a profile page at /u/<username> reads.',
        params: UsernameParams,
        response: { 200: User, ...errors(404, 422) },
      },
    },
    async (request) => {
      const user = await findUserByName(app.db, request.params.username);
      if (!user) throw new DomainError('user_not_found');
      return user;
    },
  );

  app.get(
    '/api/v1/users/:id',
    // Optional sign-in: an administrator's answer has the email.
    { config: { auth: 'optional' }, schema: { tags: ['users'], summary: 'A member’s public profile', params: IdParams, response: { 200: User, ...errors(404, 422) } } },
    async (request) => {
      // Administrators see the email too; nobody else does.
      const user = request.principal?.role === 'admin' ? await findUserWithEmail(app.db, request.params.id) : await findUserById(app.db, request.params.id);
      if (!user) throw new DomainError('user_not_found');
      return user;
    },
  );
};

export default feature('users', routes);
