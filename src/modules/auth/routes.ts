import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { checkCredentials } from './service.js';
import { createSession } from './data.js';
import { BODY_ERRORS, errors } from '../../http/schemas.js';

// FastAPI's OAuth2PasswordRequestForm: the form fields of RFC 6749 §4.3.2.
const TokenRequest = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 128 }),
    password: Type.String({ minLength: 1, maxLength: 128 }),
    grant_type: Type.Optional(Type.String({ pattern: '^password$' })),
    scope: Type.Optional(Type.String({ maxLength: 1000 })),
    client_id: Type.Optional(Type.String({ maxLength: 1000 })),
    client_secret: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { title: 'TokenRequest' },
);

const TokenResponse = Type.Object(
  {
    access_token: Type.String(),
    token_type: Type.Literal('bearer'),
    expires_in: Type.Integer({ description: 'Seconds until the token expires at the latest' }),
  },
  { title: 'Token', description: 'A bearer token' },
);

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const limits = { maxPerUser: app.config.loginMaxFailuresPerUser, maxPerAddress: app.config.loginMaxFailuresPerAddress };

  // The course's published code declares `OAuth2PasswordBearer(tokenUrl='/api/v1/auth')`, under the
  // API prefix, while its server answers at /auth: both are the same operation here, with the same
  // handler, the same login throttle and rate-limit bucket (config.login), and both documented.
  for (const url of ['/auth', '/api/v1/auth']) {
    const alias = url !== '/auth';
    app.post(
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
        const user = await checkCredentials(app, request, limits, request.body.username, request.body.password);
        const { secret } = await createSession(app.db, user.id, app.sessionPolicy);
        // RFC 6749 §5.1: responses carrying tokens are not to be cached.
        reply.header('cache-control', 'no-store');
        // The session's whole lifetime: a value computed from the clock would already be a second short.
        return { access_token: secret, token_type: 'bearer' as const, expires_in: app.sessionPolicy.maxAge };
      },
    );
  }
};

export default routes;
