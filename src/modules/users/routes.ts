import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { checkCredentials, confirmPassword } from '../auth/service.js';
import { hashPassword } from '../auth/passwords.js';
import { createSession, deleteOtherSessions, deleteSession } from '../auth/data.js';
import { isUniqueViolation } from '../../db/connect.js';
import { conflict, notFound } from '../../http/errors.js';
import { pageOf, setPageHeaders } from '../../http/pagination.js';
import { BODY_ERRORS, IdParams, NoContent, errors } from '../../http/schemas.js';
import { clearSessionCookie, principalOf, setSessionCookie } from '../auth/plugin.js';
import { listReviews } from '../reviews/data.js';
import { Review, ReviewPageQuery, reviewOrderOf } from '../reviews/schemas.js';
import { deleteUser, findUserById, insertUser, setPasswordHash } from './data.js';
import { Credentials, PasswordChange, PasswordConfirm, User, UserCreate } from './schemas.js';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const limits = { maxPerUser: app.config.loginMaxFailuresPerUser, maxPerAddress: app.config.loginMaxFailuresPerAddress };

  app.post(
    '/api/v1/users',
    {
      schema: {
        tags: ['users'],
        summary: 'Register',
        body: UserCreate,
        response: { 201: User, ...errors(409, ...BODY_ERRORS) },
      },
    },
    async (request, reply) => {
      const passwordHash = await hashPassword(request.body.password);
      try {
        const user = await insertUser(app.db, request.body.username, passwordHash);
        return reply.code(201).header('location', `/api/v1/users/${user.id}`).send(user);
      } catch (err) {
        if (isUniqueViolation(err)) throw conflict('Username already in use');
        throw err;
      }
    },
  );

  app.post(
    '/api/v1/users/login',
    {
      config: { sameOrigin: true, login: true },
      schema: {
        tags: ['auth'],
        summary: 'Log in with a session cookie (browsers)',
        description: 'Answers the user and sets an HttpOnly session cookie. Every login makes a new session.',
        body: Credentials,
        response: { 200: User, ...errors(401, 403, 429, ...BODY_ERRORS) },
      },
    },
    async (request, reply) => {
      const user = await checkCredentials(app, request, limits, request.body.username, request.body.password);
      const { secret } = await createSession(app.db, user.id, app.sessionPolicy);
      setSessionCookie(request, reply, secret, app.sessionPolicy.maxAge);
      return user;
    },
  );

  app.post(
    '/api/v1/users/logout',
    {
      config: { auth: 'user' },
      schema: { tags: ['auth'], summary: 'End the current session (cookie or token)', response: { 204: NoContent } },
    },
    async (request, reply) => {
      await deleteSession(app.db, principalOf(request).sessionId);
      clearSessionCookie(request, reply);
      return reply.code(204).send();
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

  app.put(
    '/api/v1/users/me/password',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['users'],
        summary: 'Change password; ends the caller’s other sessions',
        body: PasswordChange,
        response: { 204: NoContent, ...errors(403, 429, ...BODY_ERRORS) },
      },
    },
    async (request, reply) => {
      const me = principalOf(request);
      await confirmPassword(app, request, limits, me, request.body.current_password, 'Current password is incorrect');
      await setPasswordHash(app.db, me.userId, await hashPassword(request.body.new_password));
      await deleteOtherSessions(app.db, me.userId, me.sessionId);
      return reply.code(204).send();
    },
  );

  app.delete(
    '/api/v1/users/me',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['users'],
        summary: 'Delete the caller’s account and reviews',
        description: 'Needs the password again. Sessions and reviews go with the account.',
        body: PasswordConfirm,
        response: { 204: NoContent, ...errors(403, 429, ...BODY_ERRORS) },
      },
    },
    async (request, reply) => {
      const me = principalOf(request);
      await confirmPassword(app, request, limits, me, request.body.password, 'Password is incorrect');
      await deleteUser(app.db, me.userId);
      clearSessionCookie(request, reply);
      return reply.code(204).send();
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

  app.get(
    '/api/v1/users/:id',
    {
      schema: {
        tags: ['users'],
        summary: 'A user’s public profile',
        params: IdParams,
        response: { 200: User, ...errors(404, 422) },
      },
    },
    async (request) => {
      const user = await findUserById(app.db, request.params.id);
      if (!user) throw notFound('User');
      return user;
    },
  );
};

export default routes;
