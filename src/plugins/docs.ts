import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { POSTER_BODY_TYPES, TRAILER_BODY_TYPES } from '../routes/media/schemas.js';

const UPLOAD_TYPES = { poster: POSTER_BODY_TYPES, trailer: TRAILER_BODY_TYPES };

/**
 * The OpenAPI document is generated from the route schemas that also validate requests and
 * serialize responses, so the docs cannot drift from the behaviour.
 */
export default fp(
  async function docs(app: FastifyInstance, opts: { version: string }) {
    await app.register(swagger, {
      transform: ({ schema, url, route }) => {
        // Upload routes read the body as a stream, so they carry no body schema for validation;
        // the document still shows the two ways to send the file.
        const kind = route.config?.upload;
        if (!kind || !schema) return { schema, url };
        const binary = { type: 'string', format: 'binary' };
        const types = UPLOAD_TYPES[kind];
        const content = {
          'multipart/form-data': { schema: { type: 'object', required: ['file'], properties: { file: binary } } },
          ...Object.fromEntries(types.map((t) => [t, { schema: binary }])),
        };
        return { schema: { ...schema, body: { content } }, url };
      },
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Butaca',
          version: opts.version,
          description:
            'Movie reviews over HTTP. Wire-compatible with the API of the course "servicios web con Python y FastAPI": ' +
            'errors are `{"detail": ...}` and validation errors FastAPI’s 422 list. Log in with **Authorize** ' +
            '(OAuth2 password flow at `/auth`) to try the protected operations.',
        },
        tags: [
          { name: 'auth', description: 'Sessions and tokens' },
          { name: 'users', description: 'Accounts' },
          { name: 'movies', description: 'The catalogue (writes are for administrators)' },
          { name: 'reviews', description: 'One review per user and movie, score 1–5' },
          { name: 'media', description: 'Posters and trailers: upload, replace, delete, serve (Range, ETag)' },
          { name: 'service', description: 'Health and readiness' },
        ],
        components: {
          securitySchemes: {
            OAuth2PasswordBearer: {
              type: 'oauth2',
              description: 'Bearer token from POST /auth (username and password as a form).',
              flows: { password: { tokenUrl: '/auth', scopes: {} } },
            },
            sessionCookie: {
              type: 'apiKey',
              in: 'cookie',
              name: 'butaca_session',
              description: 'Session cookie set by POST /api/v1/users/login (__Host-butaca_session under HTTPS).',
            },
          },
        },
      },
    });
    await app.register(swaggerUi, {
      routePrefix: '/docs',
      uiConfig: { persistAuthorization: false },
      // Swagger UI's bundle applies inline styles as it renders; the page shows nothing but the
      // API's own description, so /docs alone allows them (the web client keeps style-src 'self').
      transformStaticCSP: (header) => header.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"),
    });
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  },
  { name: 'docs' },
);
