import { readFileSync } from 'node:fs';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyContextConfig, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ErrorBody } from '../http/schemas.js';
import { UNSAFE_METHODS as UNSAFE } from '../http/principal.js';
import { DOCS_CSS } from './docs-theme.js';
import { LICENSE, VERSION } from '../package-info.js';
import { isRateLimited } from './rate-limits.js';

/** Swagger UI's settings, fetched by the page as it starts (see uiConfig below). */
const DOCS_CONFIG_URL = '/docs/ui-config.json';
/** The web client's icon: from src/plugins and dist/plugins alike, <project>/web/public. */
const FAVICON = readFileSync(new URL('../../web/public/favicon.svg', import.meta.url));

// The parts of an OpenAPI 3.1 document this plugin completes.
interface Header {
  description: string;
  required?: boolean;
  schema: Record<string, unknown>;
}
interface Response {
  description: string;
  headers?: Record<string, Header>;
  content?: Record<string, { schema?: unknown }>;
}
interface Operation {
  operationId?: string;
  summary?: string;
  description?: string;
  security?: Record<string, string[]>[];
  parameters?: { in: string; name: string }[];
  requestBody?: unknown;
  responses: Record<string, Response>;
}
const METHODS = ['get', 'head', 'post', 'put', 'patch', 'delete'] as const;
type Method = (typeof METHODS)[number];
type PathItem = Partial<Record<Method, Operation>>;
interface Document {
  paths: Record<string, PathItem>;
}

/** What the document needs to know about a route beyond its schema: the config that the cross-cutting plugins act on. */
interface RouteFacts {
  method: string;
  url: string;
  config: FastifyContextConfig;
}

/** `/api/v1/movies/:id` as OpenAPI writes it: `/api/v1/movies/{id}`. */
const openapiPath = (url: string): string => url.replace(/:(\w+)/g, '{$1}');

/**
 * Operations whose URL does not read as a name (actions, the caller's own account). Every other
 * operation is named from its method and URL (`deriveOperationId`), and a route may always name
 * its own with `schema.operationId`.
 */
const NAMES: Record<string, string> = {
  'post /auth': 'createToken',
  'post /api/v1/auth': 'createTokenAtApiPath',
  'post /api/v1/users/login': 'logIn',
  'post /api/v1/users/logout': 'logOut',
  'get /api/v1/users/me': 'getCurrentUser',
  'delete /api/v1/users/me': 'deleteCurrentUser',
  'put /api/v1/users/me/password': 'changePassword',
  'get /api/v1/users/reviews': 'listMyReviews',
  'put /api/v1/reviews/{id}/like': 'likeReview',
  'delete /api/v1/reviews/{id}/like': 'unlikeReview',
  'get /api/v1/users/me/likes': 'listMyLikedReviews',
  'get /api/v1/users/me/review-states': 'getMyReviewStates',
  'get /api/v1/users/me/movie-states': 'getMyMovieStates',
  'get /api/v1/users/me/follow-states': 'getMyFollowStates',
  'put /api/v1/users/me/following/{user_id}': 'followUser',
  'delete /api/v1/users/me/following/{user_id}': 'unfollowUser',
  'get /api/v1/users/{id}/followers': 'listUserFollowers',
  'get /api/v1/users/{id}/following': 'listUserFollowing',
  'get /api/v1/users/me/followers': 'listMyFollowers',
  'get /api/v1/users/me/following': 'listMyFollowing',
  'get /api/v1/users/me/feed': 'getMyFeed',
  'get /api/v1/users/me/lists': 'listMyLists',
  'put /api/v1/lists/{id}/items/{movie_id}': 'putListItem',
};

const capitalize = (word: string): string => word.charAt(0).toUpperCase() + word.slice(1);
/** users → user: this API's collections are all plain `s` plurals. */
const singular = (word: string): string => word.replace(/s$/, '');

/**
 * A stable camelCase name from method and URL, the version prefix left out: `GET /movies` is
 * listMovies, `GET /movies/{id}` getMovie, `POST /reviews` createReview, `PUT /movies/{id}` replaceMovie,
 * `PATCH` update…, `DELETE` delete…, and an upload route's POST uploadMoviePoster.
 */
function deriveOperationId(method: Method, path: string, facts: RouteFacts | undefined): string {
  const parts = path.replace(/^\/api\/v\d+(?=\/)/, '').split('/').filter(Boolean);
  const last = parts.at(-1) ?? '';
  const isParam = (part: string) => part.startsWith('{');
  const collection = !isParam(last) && last.endsWith('s');
  const verb =
    method === 'get'
      ? collection
        ? 'list'
        : 'get'
      : method === 'post'
        ? facts?.config.upload
          ? 'upload'
          : 'create'
        : { head: 'head', put: 'replace', patch: 'update', delete: 'delete' }[method];
  const words = parts.flatMap((part, i) => {
    if (isParam(part)) return [];
    // An item (followed by its id) or the thing a POST to a collection creates is singular.
    const one = (i + 1 < parts.length && isParam(parts[i + 1]!)) || (i === parts.length - 1 && verb === 'create');
    return [capitalize((one ? singular(part) : part).replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase()))];
  });
  return verb + words.join('');
}

const ERROR_SCHEMA = JSON.parse(JSON.stringify(ErrorBody)) as Record<string, unknown>;
const errorResponse = (description: string): Response => ({ description, content: { 'application/json': { schema: ERROR_SCHEMA } } });
const isJson = (response: Response | undefined): boolean => response?.content?.['application/json'] !== undefined;

function addHeader(response: Response | undefined, name: string, header: Header): void {
  if (!response) return;
  response.headers = { ...response.headers, [name]: { ...header, ...response.headers?.[name] } };
}

const BODY_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const ETAG: Header = { description: 'Validator of this representation; send it back in If-None-Match to get 304', required: true, schema: { type: 'string' } };
const RETRY_AFTER: Header = { description: 'Seconds to wait before trying again', required: true, schema: { type: 'integer', minimum: 0 } };

/**
 * Completes an operation with what the cross-cutting plugins do to it (the route schemas describe
 * what the handler does): who may call it, the ETag plugin's 304, the rate limit's 429, the
 * cross-site refusal's 403, the error handler's 5XX, and the headers that go with them.
 */
function describeOperation(method: Method, op: Operation, facts: RouteFacts, app: FastifyInstance): void {
  const { config } = facts;
  const r = op.responses;
  // Public: an explicit empty requirement, so readers (and linters) need not guess.
  if (!config.auth) op.security = [];

  // plugins/auth.ts refuses unsafe requests from other sites when they ride on the session
  // cookie, and the cookie login itself.
  if (UNSAFE.has(facts.method) && (config.auth || config.sameOrigin)) {
    const why = config.sameOrigin
      ? 'Refused: a cross-site login (a page of another site cannot log its visitors in here)'
      : 'a cross-site request authenticated by the session cookie (send a bearer token from other origins)';
    r['403'] = config.sameOrigin ? errorResponse(why) : errorResponse(r['403'] ? `${r['403'].description}, or ${why}` : `Refused: ${why}`);
  }

  // Fastify reads a body sent with these methods even where the route takes none (and the
  // route's hooks have let the request through): it can fail as any body does.
  if (BODY_METHODS.has(facts.method) && !op.requestBody) {
    const sent = 'A body was sent, though the operation takes none, and';
    r['400'] ??= errorResponse(`${sent} it is not valid JSON`);
    r['413'] ??= errorResponse(`${sent} it is larger than the body limit`);
    r['415'] ??= errorResponse(`${sent} its Content-Type is not application/json`);
  }

  // plugins/request-head.ts refuses, on any route, an HTTP/1.1 request without Host (400) and an
  // HTTP/2 head over MAX_HEADER_SIZE (431, as Node's parser answers HTTP/1.1 before any route).
  const head = 'A malformed request: an HTTP/1.1 request without a Host header';
  r['400'] = errorResponse(r['400'] ? `${r['400'].description}; or ${head.charAt(0).toLowerCase()}${head.slice(1)}` : head);
  r['431'] ??= errorResponse('The request line and headers are larger than MAX_HEADER_SIZE');

  if (isRateLimited(app.config, config, facts.url)) {
    const rate = 'Too many requests from this address (the request-rate limit)';
    r['429'] = errorResponse(r['429'] ? `${r['429'].description}; or ${rate.charAt(0).toLowerCase()}${rate.slice(1)}` : `${rate}; see Retry-After`);
  }
  addHeader(r['429'], 'Retry-After', RETRY_AFTER);

  // plugins/etag.ts tags every JSON 200 of a GET (and its HEAD) and answers 304 to a match.
  if (method === 'get' && isJson(r['200'])) {
    addHeader(r['200'], 'ETag', ETAG);
    r['304'] ??= { description: 'Not modified: If-None-Match matches the ETag' };
  }
  addHeader(r['304'], 'ETag', { ...ETAG, description: 'The validator that matched' });

  // plugins/errors.ts: anything unexpected, or a dependency that cannot serve. (Requests that
  // arrive while the server closes get Fastify's own 503, return503OnClosing, whose body is
  // Fastify's `{error, message, statusCode}`, not this one: it bypasses every hook.)
  r['5XX'] ??= errorResponse(
    'Server error: 500 for an unexpected failure (logged with the request id); 503 while the database or a store is unavailable, with Retry-After',
  );

  if (r['401']) addHeader(r['401'], 'WWW-Authenticate', { description: 'Always `Bearer`', required: true, schema: { type: 'string' } });
  const location: Header = { description: 'URL of the resource', required: true, schema: { type: 'string' } };
  addHeader(r['201'], 'Location', location);
  // A file put in place answers where it now is; an upload read and consumed (an import) has no place.
  if (config.upload && method === 'put') addHeader(r['200'], 'Location', location);
  // Lists (pagination.ts sets both on every page).
  if ((op.parameters ?? []).some((p) => p.in === 'query' && p.name === 'page')) {
    addHeader(r['200'], 'X-Total-Count', { description: 'Items in the whole list, all pages', required: true, schema: { type: 'integer', minimum: 0 } });
    addHeader(r['200'], 'Link', { description: 'RFC 8288 links to the first, prev, next and last pages', required: true, schema: { type: 'string' } });
  }
  // Cursor lists (the feed): only a next link, absent on the last page.
  if ((op.parameters ?? []).some((p) => p.in === 'query' && p.name === 'before')) {
    addHeader(r['200'], 'Link', { description: 'RFC 8288 `rel="next"` link to the next page; absent on the last one', required: false, schema: { type: 'string' } });
  }
}

/**
 * HEAD is answered wherever GET is (api.md). It is documented where a client has a use for it
 * apart from GET, the README's "GET / HEAD" routes: the files, whose type, size and ETag a client
 * may want without the bytes. The same statuses, no bodies.
 */
function headOf(get: Operation): Operation {
  const responses = Object.fromEntries(
    Object.entries(get.responses).map(([status, { content: _content, ...rest }]) => [status, rest]),
  );
  return {
    ...get,
    operationId: undefined,
    summary: `${get.summary ?? 'The file'}: headers only`,
    description: 'The answer GET would give, without the body: type, size, ETag and caching headers.',
    responses,
  };
}

/** operationIds must be unique: a route named like another (an alias of it, say) gets its own path in its name. */
function nameOperations(doc: Document, facts: Map<string, RouteFacts>): void {
  const used = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const key = `${method} ${path}`;
      let id =
        method === 'head' && item.get?.operationId
          ? item.get.operationId.replace(/^get/, 'head')
          : (op.operationId ?? NAMES[key] ?? deriveOperationId(method, path, facts.get(key)));
      if (used.has(id)) id += deriveOperationId(method, path, facts.get(key)).replace(/^[a-z]+/, '') + capitalize(method);
      for (let n = 2; used.has(id); n++) id = `${id.replace(/\d+$/, '')}${n}`;
      used.add(id);
      op.operationId = id;
    }
  }
}

/**
 * The OpenAPI document is generated from the route schemas that also validate requests and
 * serialize responses, so the docs cannot drift from the behaviour. What the cross-cutting plugins
 * add to every route (auth, rate limits, ETags, errors) is completed here, in one pass over the
 * document, from the same facts those plugins act on.
 */
export default fp(
  async function docs(app: FastifyInstance) {
    const facts = new Map<string, RouteFacts>();
    // Registered before @fastify/swagger and before any route, so it sees every route as added.
    app.addHook('onRoute', (route) => {
      for (const method of Array.isArray(route.method) ? route.method : [route.method]) {
        facts.set(`${method.toLowerCase()} ${openapiPath(route.url)}`, { method, url: route.url, config: route.config ?? {} });
      }
    });

    await app.register(swagger, {
      transform: ({ schema, url, route }) => {
        // Upload routes read the body as a stream, so they carry no body schema for validation;
        // the document still shows the two ways to send the file.
        const types = route.config?.upload;
        if (!types || !schema) return { schema, url };
        const binary = { type: 'string', format: 'binary' };
        const content = {
          'multipart/form-data': { schema: { type: 'object', required: ['file'], properties: { file: binary } } },
          ...Object.fromEntries(types.map((t) => [t, { schema: binary }])),
        };
        // The upload code's own 400: a multipart body it cannot read to the end.
        const malformed = { ...ErrorBody, description: 'Malformed multipart body (cut short, or without its closing boundary)' };
        const response = { ...(schema.response as object), 400: malformed };
        return { schema: { ...schema, body: { content }, response }, url };
      },
      transformObject: (result) => {
        const doc = ('openapiObject' in result ? result.openapiObject : result.swaggerObject) as unknown as Document;
        for (const [path, item] of Object.entries(doc.paths)) {
          for (const method of METHODS) {
            const op = item[method];
            const found = facts.get(`${method} ${path}`);
            if (op && found) describeOperation(method, op, found, app);
          }
          const get = item.get;
          if (get && !item.head && get.responses['200'] && !isJson(get.responses['200'])) item.head = headOf(get);
        }
        nameOperations(doc, facts);
        return doc as never;
      },
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Butaca',
          version: VERSION,
          license: { name: LICENSE, identifier: LICENSE },
          description:
            'Movie reviews over HTTP. Wire-compatible with the API of the course "servicios web con Python y FastAPI": ' +
            'errors are `{"detail": ...}` and validation errors FastAPI’s 422 list. Log in with **Authorize** ' +
            '(OAuth2 password flow at `/auth`) to try the protected operations.\n\n' +
            'Browsers may use the session cookie of `POST /api/v1/users/login` instead of a token: this page sends it ' +
            'with every request while you are logged in to the web client at `/`, and cross-site writes that carry ' +
            'it are refused with 403. HEAD works wherever GET does. Every answer carries `X-Request-Id`.',
        },
        // Relative: right for whatever origin (and proxy) the document is read through.
        servers: [{ url: '/', description: 'This server' }],
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
            // Kept in the document for clients that read it; /docs hides it from its Authorize
            // dialog (docs-theme.ts), where a cookie typed in could never be sent.
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
      // Swagger UI's own inline mark (restyled as Butaca's by docs-theme.ts) rather than the
      // plugin's logo, which it inserts as an <img> without alt text.
      logo: null as never,
      theme: {
        title: 'Butaca API',
        css: [{ filename: 'butaca.css', content: DOCS_CSS }],
        favicon: [{ filename: 'favicon.svg', rel: 'icon', type: 'image/svg+xml', sizes: 'any', content: FAVICON }],
      },
      uiConfig: {
        // The plugin points the UI at ./json whatever uiConfig says; a config document fetched at
        // start is applied last, so the Explore box shows (and loads) the one public address.
        configUrl: DOCS_CONFIG_URL,
        persistAuthorization: false,
        // Deep links make each operation's path a link inside the button that opens it: a nested
        // control screen readers cannot reach, and a 19 px tall target.
        deepLinking: false,
      },
      // Swagger UI's bundle applies inline styles as it renders; the page shows nothing but the
      // API's own description, so /docs alone allows them (the web client keeps style-src 'self').
      transformStaticCSP: (header) => header.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"),
    });
    app.get(DOCS_CONFIG_URL, { schema: { hide: true } }, async () => ({ url: '/openapi.json' }));
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  },
  { name: 'docs', decorators: { fastify: ['config'] } },
);

