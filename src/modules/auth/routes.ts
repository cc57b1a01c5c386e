import formbody from '@fastify/formbody';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf } from '../../http/principal.js';
import { BODY_ERRORS, NoContent, errors } from '../../http/schemas.js';
import { hashPassword } from '../../security/passwords.js';
import { ProfilePatch, User, changeProfile, deleteAccount, findUserWithEmail, setPasswordHash } from '../users/index.js';
import { trimBodyFields } from '../../http/trim.js';
import { invalidField } from '../../domain/issues.js';
import { clearSessionCookie, setSessionCookie } from './cookies.js';
import { createSession, deleteOtherSessions, deleteResetsOf, deleteSession } from './data.js';
import { Credentials, PasswordChange, PasswordConfirm, PasswordResetAccepted, PasswordResetConfirm, PasswordResetRequest, TokenRequest, TokenResponse } from './schemas.js';
import { confirmPasswordReset, requestPasswordReset } from './reset.js';
import { createMailer } from '../../mail/mailer.js';
import { createAuthService } from './service.js';
import { feature } from '../../http/feature.js';

/**
 * Logging in and out, and what needs the password again: the OAuth2 token (at /auth, and at
 * /api/v1/auth, the tokenUrl of the course's code), the cookie login, logout, the password change
 * and the account's deletion.
 */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const auth = createAuthService({ db: app.db, counters: app.counters, config: app.config, log: app.log });
  // request.ip is undefined once the client has gone; the throttle then counts under ''.
  const ipOf = (request: { ip: string | undefined }): string => request.ip ?? '';

  // The token endpoint takes FastAPI's form (and JSON): the form parser only in its own scope.
  const tokenRoutes: FastifyPluginAsyncTypebox = async (scope) => {
    await scope.register(formbody, { bodyLimit: app.config.bodyLimit });
    // Both paths are one operation: one handler, one failed-login throttle, one rate-limit bucket (config.login).
    for (const url of ['/auth', '/api/v1/auth']) {
      const alias = url !== '/auth';
      scope.post(
        url,
        {
          config: { login: true },
          schema: {
            tags: ['auth'],
            summary: alias ? 'OAuth2 password flow (the same as POST /auth)' : 'OAuth2 password flow: a bearer token for API clients',
            description:
              'Send `username` and `password` as `application/x-www-form-urlencoded` (JSON works too). ' +
              'Use the token as `Authorization: Bearer <token>`. It also ends after a period without use.' +
              (alias ? ' This path is the `tokenUrl` of the course’s code; it is the same operation as `POST /auth`.' : ' Also served at `POST /api/v1/auth`.'),
            consumes: ['application/x-www-form-urlencoded', 'application/json'],
            body: TokenRequest,
            response: { 200: TokenResponse, ...errors(401, 429, ...BODY_ERRORS) },
          },
        },
        async (request, reply) => {
          const user = await auth.checkCredentials(ipOf(request), request.body.username, request.body.password);
          const { secret } = await createSession(app.db, user.id, auth.policy);
          // RFC 6749 §5.1: responses carrying tokens are not to be cached.
          reply.header('cache-control', 'no-store');
          // The session's whole lifetime: a value computed from the clock would already be a second short.
          return { access_token: secret, token_type: 'bearer' as const, expires_in: auth.policy.maxAge };
        },
      );
    }
  };
  await app.register(tokenRoutes);

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
      const { id } = await auth.checkCredentials(ipOf(request), request.body.username, request.body.password);
      const { secret } = await createSession(app.db, id, auth.policy);
      setSessionCookie(request, reply, secret, auth.policy.maxAge);
      // The member's own answer: with their email when they have one (the account page shows it).
      return (await findUserWithEmail(app.db, id))!;
    },
  );

  app.post(
    '/api/v1/users/logout',
    { config: { auth: 'user' }, schema: { tags: ['auth'], summary: 'End the current session (cookie or token)', response: { 204: NoContent } } },
    async (request, reply) => {
      await deleteSession(app.db, principalOf(request).sessionId);
      clearSessionCookie(request, reply);
      return reply.code(204).send();
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
      await auth.confirmPassword(ipOf(request), me, request.body.current_password, 'current_password_incorrect');
      await setPasswordHash(app.db, me.userId, await hashPassword(request.body.new_password));
      await deleteOtherSessions(app.db, me.userId, me.sessionId);
      await deleteResetsOf(app.db, me.userId);
      return reply.code(204).send();
    },
  );

  const mailer = createMailer(app.config.mail);
  if (mailer) app.addHook('onClose', async () => mailer.close());
  const resetDeps = { db: app.db, counters: app.counters, config: app.config, log: app.log, mailer };

  app.post(
    '/api/v1/users/password-reset',
    {
      preValidation: trimBodyFields('email'),
      schema: {
        tags: ['users'],
        summary: 'Ask for a password reset link by email',
        description:
          'Always 202, in the same time, whether or not an account has the address; when one has, it gets an email with a link (`/reset-password?token=…`) that works once, for 30 minutes. Throttled per address asked about and per client address.',
        body: PasswordResetRequest,
        response: { 202: PasswordResetAccepted, ...errors(429, ...BODY_ERRORS) },
      },
    },
    async (request, reply) => {
      await requestPasswordReset(resetDeps, ipOf(request), request.body.email);
      return reply.code(202).send({ detail: 'If an account has this email, a link to reset its password is on its way' });
    },
  );

  app.post(
    '/api/v1/users/password-reset/confirm',
    {
      schema: {
        tags: ['users'],
        summary: 'Set a new password with a reset link’s token',
        description: 'Spends the token, sets the password and ends every session of the account.',
        body: PasswordResetConfirm,
        response: { 204: NoContent, ...errors(...BODY_ERRORS) },
      },
    },
    async (request, reply) => {
      await confirmPasswordReset(app.db, request.body.token, request.body.new_password);
      return reply.code(204).send();
    },
  );

  app.patch(
    '/api/v1/users/me',
    {
      config: { auth: 'user' },
      preValidation: trimBodyFields('display_name', 'bio', 'email'),
      schema: {
        tags: ['users'],
        summary: 'Change your display name, bio or email',
        description: 'Only the fields sent change. Changing the email needs your password in `password` (throttled like logins); an email already in use is 409.',
        body: ProfilePatch,
        response: { 200: User, ...errors(403, 409, 429, ...BODY_ERRORS) },
      },
    },
    async (request) => {
      const me = principalOf(request);
      const { password, ...changes } = request.body;
      if (changes.email !== undefined) {
        if (password === undefined) throw invalidField(['body', 'password'], 'missing');
        await auth.confirmPassword(ipOf(request), me, password, 'password_incorrect');
        const user = await changeProfile(app.db, me.userId, changes);
        // A link already sent to the old address stops working.
        await deleteResetsOf(app.db, me.userId);
        return user;
      }
      return changeProfile(app.db, me.userId, changes);
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
      await auth.confirmPassword(ipOf(request), me, request.body.password, 'password_incorrect');
      await deleteAccount(app.db, app.store, request.log, me.userId);
      clearSessionCookie(request, reply);
      return reply.code(204).send();
    },
  );
};

export default feature('auth-routes', routes);
