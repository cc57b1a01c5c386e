import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';


// Vite names every file under assets/ after a hash of its content, so a URL there never changes
// meaning and can be cached for good; everything else (index.html above all) must be revalidated
// so that a new build is picked up at once.
const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

// Paths that belong to the server, never to the client's router: an unknown one stays a JSON 404
// (or 405, see plugins/errors.ts) whoever asks.
const SERVER_PATHS = /^\/(?:api(?:\/|$)|auth(?:\/|$)|docs(?:\/|$)|openapi\.json$|healthz$|readyz$|assets\/)/;

/**
 * The client's pages from the build's routes.json (web/src/routes.ts), as one pattern: `:id` a
 * positive whole number, any other `:name` one segment, a trailing slash allowed. Without the file
 * (a build older than it) every page path counts as the client's.
 */
function clientRoutes(root: string): RegExp {
  let patterns: string[];
  try {
    patterns = JSON.parse(readFileSync(path.join(root, 'routes.json'), 'utf8')) as string[];
  } catch {
    return /^/;
  }
  const alternatives = patterns.map((pattern) =>
    pattern
      .split('/')
      .map((part) => (part === ':id' ? '[1-9]\\d{0,9}' : part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/'),
  );
  return new RegExp(`^(?:${alternatives.join('|')})/?$`);
}

/**
 * A request for one of the client's pages: any GET or HEAD outside the server's own paths, whatever
 * its Accept (a link checker, a chat unfurler or curl sends none or `*\/*`, and deep links must work
 * for them too). Answers whether the path is one of the client's routes.
 */
function pageRequest(request: FastifyRequest, routes: RegExp): 'route' | 'unknown' | undefined {
  if (request.method !== 'GET' && request.method !== 'HEAD') return undefined;
  const pathname = request.url.split('?', 1)[0] ?? '';
  if (SERVER_PATHS.test(pathname)) return undefined;
  return routes.test(pathname) ? 'route' : 'unknown';
}

// What `/` answers when the client has not been built (a test run straight from the sources).
const PLACEHOLDER = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Butaca</title></head>
<body><main><h1>Butaca</h1><p>Movie reviews over HTTP. The web client is not built: run <code>npm run build</code>.</p>
<p><a href="/docs">API documentation</a> · <a href="/openapi.json">OpenAPI document</a> · <a href="/api/v1/movies">Movies</a></p>
</main></body></html>`;

/**
 * Serves the built web client: its files at their own paths, and index.html for any other page a
 * browser asks for, so that the client's routes survive a reload or a shared link.
 */
export default fp(
  async function webClient(app: FastifyInstance) {
    const root = app.config.webRoot;
    if (!existsSync(path.join(root, 'index.html'))) {
      app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(PLACEHOLDER));
      return;
    }

    // The files beside index.html get one route each, found at start: a catch-all route at `/`
    // would make every path "known" to the 405 logic of plugins/errors.ts, so that a POST to an
    // unknown API path would answer 405 instead of 404.
    await app.register(fastifyStatic, {
      root,
      wildcard: false,
      globIgnore: ['assets/**'],
      cacheControl: false,
      setHeaders: (reply) => reply.header('cache-control', REVALIDATE),
    });
    // The hashed files are looked up on each request instead, so a rebuild under a running server
    // serves its new bundle at once.
    await app.register(fastifyStatic, {
      root: path.join(root, 'assets'),
      prefix: '/assets/',
      decorateReply: false,
      cacheControl: false,
      setHeaders: (reply) => reply.header('cache-control', IMMUTABLE),
    });

    // An unknown path reaches here before the not-found handler; a page request gets the client,
    // with 404 for a path that is none of its routes (the client shows its "not found" page).
    const routes = clientRoutes(root);
    // A callback hook: it runs on every request, and an async one costs each a promise and a microtask.
    app.addHook('onRequest', (request, reply, done) => {
      if (!request.is404) return done();
      const page = pageRequest(request, routes);
      if (page === undefined) return done();
      if (page === 'unknown') reply.code(404);
      // Answered here: the hook chain stops without done().
      reply.sendFile('index.html');
    });
  },
  { name: 'web-client', decorators: { fastify: ['config'] }, dependencies: ['errors'] },
);
