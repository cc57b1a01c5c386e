import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { loggerOptions } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { type Db } from '../src/db/connect.js';
import { PASSWORD, type TestContext, adminToken, bearer, createMovie, register, sessionCookie, startApp, userToken } from './support/app.js';

// ---------------------------------------------------------------------------------------------
// Helpers local to this file

const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The methods of an Allow header, sorted, so the comparison does not depend on their order. */
function allowOf(res: LightMyRequestResponse): string[] {
  const header = res.headers.allow;
  assert.equal(typeof header, 'string', `no Allow header on ${res.statusCode} ${res.body}`);
  return String(header)
    .split(',')
    .map((m) => m.trim())
    .sort();
}

/** Rows in each table that a request could write to. */
async function counts(db: Db): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of ['users', 'sessions', 'movies', 'reviews'] as const) {
    const row = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    out[table] = Number(row.n);
  }
  return out;
}

/** Headers a HEAD answer must share with the GET answer (everything but per-response ones). */
function comparableHeaders(res: LightMyRequestResponse): Record<string, unknown> {
  const { date: _date, 'x-request-id': _id, connection: _connection, ...rest } = res.headers;
  return rest;
}

interface LogLine {
  level: number;
  msg?: string;
  reqId?: string;
  err?: { type?: string; message?: string; stack?: string };
  [key: string]: unknown;
}

interface LoggedApp {
  app: FastifyInstance;
  db: Db;
  /** Every log line written so far, parsed. */
  lines: () => LogLine[];
  /** Every log line written so far, as the raw text that would reach stdout. */
  text: () => string;
  close: () => Promise<void>;
}

/**
 * An app built as startApp() builds it, but logging at `info` with the production logger
 * options (same redaction) into memory, so a test can read what would have been logged.
 */
async function startLoggedApp(): Promise<LoggedApp> {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  // Production options minus the pretty-printing transport (only used on a terminal), plus our stream.
  const { transport: _transport, ...production } = loggerOptions(loadConfig({ LOG_LEVEL: 'info' })) as Record<string, unknown>;
  // No contract check: these tests break the database on purpose, and what it then answers is theirs to check.
  const ctx = await startApp({ LOG_LEVEL: 'info' }, { logger: { ...production, level: 'info', stream }, contract: false });
  const text = (): string => chunks.join('');
  return {
    app: ctx.app,
    db: ctx.db,
    text,
    lines: () =>
      text()
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as LogLine),
    close: ctx.close,
  };
}

// ---------------------------------------------------------------------------------------------

describe('HTTP conventions', () => {
  let ctx: TestContext;
  let admin: string;
  let user: string;
  let movieId: number;
  let reviewId: number;

  before(async () => {
    ctx = await startApp();
    admin = await adminToken(ctx);
    user = await userToken(ctx.app, 'http_user');
    movieId = (await createMovie(ctx.app, admin, { title: 'Amanece, que no es poco', year: 1989 })).id;
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/reviews',
      headers: bearer(user),
      payload: { movie_id: movieId, review: 'Surrealista y entrañable', score: 5 },
    });
    assert.equal(res.statusCode, 201, res.body);
    reviewId = res.json<{ id: number }>().id;
  });
  after(async () => ctx.close());

  it('answers every JSON body, errors included, with Content-Type: application/json exactly (no charset), as FastAPI does', async () => {
    // The course's first client prints the reviews only `if response.headers.get('content-type') == 'application/json'`.
    const other = await userToken(ctx.app, 'http_ct_other');
    const answers: [string, LightMyRequestResponse][] = [
      ['list', await ctx.app.inject('/api/v1/movies')],
      ['HEAD of a list', await ctx.app.inject({ method: 'HEAD', url: '/api/v1/reviews' })],
      ['one', await ctx.app.inject(`/api/v1/reviews/${reviewId}`)],
      ['created', await ctx.app.inject({ method: 'POST', url: '/api/v1/users', payload: { username: 'http_ct_new', password: PASSWORD } })],
      ['token', await ctx.app.inject({ method: 'POST', url: '/auth', payload: { username: 'http_user', password: PASSWORD } })],
      ['400', await ctx.app.inject({ method: 'POST', url: '/api/v1/users', headers: { 'content-type': 'application/json' }, payload: '{' })],
      ['401', await ctx.app.inject('/api/v1/users/me')],
      ['403', await ctx.app.inject({ method: 'PUT', url: `/api/v1/reviews/${reviewId}`, headers: bearer(other), payload: { review: 'x', score: 1 } })],
      ['404', await ctx.app.inject('/api/v1/movies/999999')],
      ['405', await ctx.app.inject({ method: 'DELETE', url: '/api/v1/movies' })],
      ['409', await ctx.app.inject({ method: 'POST', url: '/api/v1/users', payload: { username: 'http_user', password: PASSWORD } })],
      ['415', await ctx.app.inject({ method: 'POST', url: '/api/v1/users', headers: { 'content-type': 'text/plain' }, payload: 'x' })],
      ['422', await ctx.app.inject('/api/v1/movies?page=0')],
      ['openapi', await ctx.app.inject('/openapi.json')],
      ['healthz', await ctx.app.inject('/healthz')],
    ];
    for (const [what, res] of answers) {
      assert.equal(res.headers['content-type'], 'application/json', `${what}: ${res.statusCode} ${String(res.headers['content-type'])}`);
    }
  });

  describe('methods: 405 with Allow, OPTIONS, HEAD, 404, trailing slash', () => {
    const cases: { method: InjectOptions['method']; url: string; allow: string[] }[] = [
      { method: 'DELETE', url: '/api/v1/movies', allow: ['GET', 'HEAD', 'OPTIONS', 'POST'] },
      { method: 'PUT', url: '/api/v1/movies', allow: ['GET', 'HEAD', 'OPTIONS', 'POST'] },
      { method: 'PUT', url: '/api/v1/users/me', allow: ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH'] },
      { method: 'GET', url: '/auth', allow: ['OPTIONS', 'POST'] },
      { method: 'DELETE', url: '/auth', allow: ['OPTIONS', 'POST'] },
      { method: 'GET', url: '/api/v1/users/me/password', allow: ['OPTIONS', 'PUT'] },
      { method: 'POST', url: '/api/v1/movies/5', allow: ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'PUT'] },
      { method: 'POST', url: '/api/v1/reviews/7', allow: ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'PUT'] },
      { method: 'DELETE', url: '/api/v1/reviews', allow: ['GET', 'HEAD', 'OPTIONS', 'POST'] },
      { method: 'POST', url: '/api/v1/movies/5/reviews', allow: ['GET', 'HEAD', 'OPTIONS'] },
      { method: 'POST', url: '/healthz', allow: ['GET', 'HEAD', 'OPTIONS'] },
    ];

    for (const { method, url, allow } of cases) {
      it(`${method} ${url} → 405 with Allow: ${allow.join(', ')}`, async () => {
        const res = await ctx.app.inject({ method, url });
        assert.equal(res.statusCode, 405);
        assert.deepEqual(res.json(), { detail: 'Method Not Allowed', code: 'method_not_allowed' });
        assert.match(String(res.headers['content-type']), /^application\/json/);
        assert.deepEqual(allowOf(res), allow);
      });
    }

    it('answers 405 (not 401) on a protected path, and the same with a trailing slash or a query string', async () => {
      const protectedPath = await ctx.app.inject({ method: 'PUT', url: '/api/v1/users/me', headers: bearer(user) });
      assert.equal(protectedPath.statusCode, 405);
      const slash = await ctx.app.inject({ method: 'DELETE', url: '/api/v1/movies/' });
      assert.equal(slash.statusCode, 405);
      assert.deepEqual(allowOf(slash), ['GET', 'HEAD', 'OPTIONS', 'POST']);
      const query = await ctx.app.inject({ method: 'DELETE', url: '/api/v1/movies?page=2' });
      assert.equal(query.statusCode, 405);
      assert.deepEqual(allowOf(query), ['GET', 'HEAD', 'OPTIONS', 'POST']);
    });

    it('answers OPTIONS on a known path with 204 and Allow, static or parameterised', async () => {
      for (const [url, allow] of [
        ['/api/v1/movies', ['GET', 'HEAD', 'OPTIONS', 'POST']],
        ['/api/v1/movies/5', ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'PUT']],
        ['/api/v1/users/me', ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH']],
        ['/auth', ['OPTIONS', 'POST']],
        ['/api/v1/reviews/', ['GET', 'HEAD', 'OPTIONS', 'POST']],
      ] as const) {
        const res = await ctx.app.inject({ method: 'OPTIONS', url });
        assert.equal(res.statusCode, 204, `OPTIONS ${url}`);
        assert.equal(res.body, '');
        assert.deepEqual(allowOf(res), [...allow]);
        assert.match(String(res.headers['x-request-id']), SANE_ID);
      }
    });

    it('answers 404 {"detail":"Not Found"} on an unknown path, whatever the method', async () => {
      for (const [method, url] of [
        ['POST', '/nope'],
        ['GET', '/api/v1/nope'],
        ['DELETE', '/api/v1/nope'],
        ['OPTIONS', '/api/v1/nope'],
        ['GET', '/api/v1/movies/5/nope'],
        ['POST', '/api/v2/movies'],
      ] as const) {
        const res = await ctx.app.inject({ method, url });
        assert.equal(res.statusCode, 404, `${method} ${url}`);
        assert.deepEqual(res.json(), { detail: 'Not Found', code: 'not_found' });
        assert.equal(res.headers.allow, undefined);
      }
      // A page path outside the API is the web client's: its "not found" page, still a 404 (test/web-client.test.ts).
      const page = await ctx.app.inject({ method: 'GET', url: '/nope' });
      assert.equal(page.statusCode, 404);
      assert.match(String(page.headers['content-type']), /^text\/html/);
    });

    it('answers HEAD wherever GET works, with the same headers and an empty body', async () => {
      const urls = [
        '/api/v1/movies',
        '/api/v1/movies?page=1&limit=1',
        `/api/v1/movies/${movieId}`,
        `/api/v1/movies/${movieId}/reviews`,
        '/api/v1/reviews',
        `/api/v1/reviews/${reviewId}`,
        '/healthz',
        '/readyz',
        '/openapi.json',
        '/',
      ];
      for (const url of urls) {
        const get = await ctx.app.inject({ method: 'GET', url });
        const head = await ctx.app.inject({ method: 'HEAD', url });
        assert.equal(get.statusCode, 200, `GET ${url}`);
        assert.equal(head.statusCode, 200, `HEAD ${url}`);
        assert.equal(head.body, '', `HEAD ${url} has a body`);
        assert.deepEqual(comparableHeaders(head), comparableHeaders(get), `HEAD ${url} headers`);
        assert.equal(head.headers['content-length'], String(Buffer.byteLength(get.body)));
      }
      const me = await ctx.app.inject({ method: 'HEAD', url: '/api/v1/users/me', headers: bearer(user) });
      assert.equal(me.statusCode, 200);
      assert.equal(me.body, '');
      const anonymous = await ctx.app.inject({ method: 'HEAD', url: '/api/v1/users/me' });
      assert.equal(anonymous.statusCode, 401);
      assert.equal(anonymous.body, '');
      const missing = await ctx.app.inject({ method: 'HEAD', url: '/api/v1/movies/999999' });
      assert.equal(missing.statusCode, 404);
      assert.equal(missing.body, '');
    });

    it('treats a trailing slash like no trailing slash', async () => {
      const plain = await ctx.app.inject('/api/v1/movies');
      const slash = await ctx.app.inject('/api/v1/movies/');
      assert.equal(slash.statusCode, 200);
      assert.deepEqual(slash.json(), plain.json());
      assert.equal(slash.headers['x-total-count'], '1');
      assert.equal(slash.headers.etag, plain.headers.etag);

      const one = await ctx.app.inject(`/api/v1/movies/${movieId}/`);
      assert.equal(one.statusCode, 200);
      assert.equal(one.json<{ id: number }>().id, movieId);

      const created = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/movies/',
        headers: bearer(admin),
        payload: { title: 'Trailing slash', year: 2001 },
      });
      assert.equal(created.statusCode, 201, created.body);
      const id = created.json<{ id: number }>().id;
      assert.equal(created.headers.location, `/api/v1/movies/${id}`);
      const deleted = await ctx.app.inject({ method: 'DELETE', url: `/api/v1/movies/${id}/`, headers: bearer(admin) });
      assert.equal(deleted.statusCode, 204);
    });
  });

  describe('ETag and If-None-Match', () => {
    const reads = (): { url: string; headers: Record<string, string> }[] => [
      { url: '/api/v1/movies', headers: {} },
      { url: `/api/v1/movies/${movieId}`, headers: {} },
      { url: '/api/v1/reviews', headers: {} },
      { url: `/api/v1/reviews/${reviewId}`, headers: {} },
      { url: `/api/v1/movies/${movieId}/reviews`, headers: {} },
      { url: '/api/v1/users/me', headers: bearer(user) },
      { url: '/api/v1/users/reviews', headers: bearer(user) },
    ];

    it('tags JSON GETs and answers 304 with an empty body to the same tag', async () => {
      for (const { url, headers } of reads()) {
        const first = await ctx.app.inject({ url, headers });
        assert.equal(first.statusCode, 200, `${url}: ${first.body}`);
        const tag = first.headers.etag;
        assert.equal(typeof tag, 'string', `${url} has no ETag`);
        assert.match(String(tag), /^(W\/)?"[^"]+"$/);

        const again = await ctx.app.inject({ url, headers });
        assert.equal(again.headers.etag, tag, `${url}: the tag is stable`);

        const cached = await ctx.app.inject({ url, headers: { ...headers, 'if-none-match': String(tag) } });
        assert.equal(cached.statusCode, 304, url);
        assert.equal(cached.body, '');
        assert.equal(cached.headers.etag, tag);
        assert.equal(cached.headers['content-length'], undefined);
        assert.match(String(cached.headers['x-request-id']), SANE_ID);

        const other = await ctx.app.inject({ url, headers: { ...headers, 'if-none-match': '"something-else"' } });
        assert.equal(other.statusCode, 200, url);
        assert.equal(other.body, first.body);
        assert.equal(other.headers.etag, tag);
      }
    });

    it('matches a tag inside a list, in weak form, and *', async () => {
      const url = `/api/v1/movies/${movieId}`;
      const tag = String((await ctx.app.inject(url)).headers.etag);
      const bare = tag.replace(/^W\//, '');
      for (const header of [`"a", ${tag}, "b"`, `"a",${tag}`, `W/${bare}`, `"x", W/${bare}`, '*']) {
        const res = await ctx.app.inject({ url, headers: { 'if-none-match': header } });
        assert.equal(res.statusCode, 304, `If-None-Match: ${header}`);
        assert.equal(res.body, '');
      }
      const none = await ctx.app.inject({ url, headers: { 'if-none-match': '"a", "b"' } });
      assert.equal(none.statusCode, 200);
      const head = await ctx.app.inject({ method: 'HEAD', url, headers: { 'if-none-match': tag } });
      assert.equal(head.statusCode, 304);
      assert.equal(head.body, '');
      assert.equal(head.headers.etag, tag);
      // RFC 9110 §8.6: a 304 carries no Content-Length, or the 200's.
      const full = await ctx.app.inject(url);
      assert.ok([undefined, String(Buffer.byteLength(full.body))].includes(head.headers['content-length'] as string | undefined));
    });

    it('never tags or 304s errors and writes, even with a matching If-None-Match', async () => {
      const missing = await ctx.app.inject({ url: '/api/v1/movies/999999', headers: { 'if-none-match': '*' } });
      assert.equal(missing.statusCode, 404);
      assert.deepEqual(missing.json(), { detail: 'Movie not found', code: 'movie_not_found' });
      assert.equal(missing.headers.etag, undefined);

      const invalid = await ctx.app.inject({ url: '/api/v1/movies?page=0', headers: { 'if-none-match': '*' } });
      assert.equal(invalid.statusCode, 422);
      assert.equal(invalid.headers.etag, undefined);

      const created = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/movies',
        headers: { ...bearer(admin), 'if-none-match': '*' },
        payload: { title: 'Conditional', year: 2000 },
      });
      assert.equal(created.statusCode, 201, created.body);
      assert.equal(created.headers.etag, undefined);
      const id = created.json<{ id: number; title: string }>().id;
      assert.equal(created.json<{ title: string }>().title, 'Conditional');

      const tag = String((await ctx.app.inject(`/api/v1/movies/${id}`)).headers.etag);
      const replaced = await ctx.app.inject({
        method: 'PUT',
        url: `/api/v1/movies/${id}`,
        headers: { ...bearer(admin), 'if-none-match': tag },
        payload: { title: 'Conditional', year: 2000 },
      });
      assert.equal(replaced.statusCode, 200, replaced.body);
      assert.equal(replaced.headers.etag, undefined);
      assert.equal(replaced.json<{ id: number }>().id, id);

      const login = await ctx.app.inject({
        method: 'POST',
        url: '/auth',
        headers: { 'if-none-match': '*' },
        payload: { username: 'http_user', password: PASSWORD },
      });
      assert.equal(login.statusCode, 200);
      assert.equal(login.headers.etag, undefined);
      assert.equal(login.json<{ token_type: string }>().token_type, 'bearer');

      const deleted = await ctx.app.inject({
        method: 'DELETE',
        url: `/api/v1/movies/${id}`,
        headers: { ...bearer(admin), 'if-none-match': '*' },
      });
      assert.equal(deleted.statusCode, 204);
      assert.equal(deleted.headers.etag, undefined);
    });

    it('changes the tag when the resource changes', async () => {
      const url = `/api/v1/movies/${movieId}`;
      const before1 = await ctx.app.inject(url);
      const listBefore = await ctx.app.inject('/api/v1/movies');
      const oldTag = String(before1.headers.etag);

      const patched = await ctx.app.inject({ method: 'PATCH', url, headers: bearer(admin), payload: { synopsis: 'Un pueblo, un cura, un alcalde.' } });
      assert.equal(patched.statusCode, 200, patched.body);

      const after1 = await ctx.app.inject({ url, headers: { 'if-none-match': oldTag } });
      assert.equal(after1.statusCode, 200);
      assert.equal(after1.json<{ synopsis: string }>().synopsis, 'Un pueblo, un cura, un alcalde.');
      assert.notEqual(after1.headers.etag, oldTag);
      const listAfter = await ctx.app.inject({ url: '/api/v1/movies', headers: { 'if-none-match': String(listBefore.headers.etag) } });
      assert.equal(listAfter.statusCode, 200);
      assert.notEqual(listAfter.headers.etag, listBefore.headers.etag);

      const reviewUrl = `/api/v1/reviews/${reviewId}`;
      const reviewTag = String((await ctx.app.inject(reviewUrl)).headers.etag);
      const edited = await ctx.app.inject({ method: 'PATCH', url: reviewUrl, headers: bearer(user), payload: { score: 4 } });
      assert.equal(edited.statusCode, 200, edited.body);
      const reviewAfter = await ctx.app.inject({ url: reviewUrl, headers: { 'if-none-match': reviewTag } });
      assert.equal(reviewAfter.statusCode, 200);
      assert.equal(reviewAfter.json<{ score: number }>().score, 4);
      assert.notEqual(reviewAfter.headers.etag, reviewTag);
      // The movie's aggregates moved with the review, so its tag changed again.
      const movieAfterReview = await ctx.app.inject({ url, headers: { 'if-none-match': String(after1.headers.etag) } });
      assert.equal(movieAfterReview.statusCode, 200);
      assert.equal(movieAfterReview.json<{ average_score: number }>().average_score, 4);
    });

    it('gives different users different tags for /users/me', async () => {
      const other = await userToken(ctx.app, 'http_other');
      const mine = await ctx.app.inject({ url: '/api/v1/users/me', headers: bearer(user) });
      const theirs = await ctx.app.inject({ url: '/api/v1/users/me', headers: { ...bearer(other), 'if-none-match': String(mine.headers.etag) } });
      assert.equal(theirs.statusCode, 200);
      assert.equal(theirs.json<{ username: string }>().username, 'http_other');
      assert.notEqual(theirs.headers.etag, mine.headers.etag);
    });
  });

  describe('X-Request-Id', () => {
    const requests = (): { name: string; status: number; opts: InjectOptions }[] => [
      { name: '200', status: 200, opts: { url: '/healthz' } },
      { name: '201', status: 201, opts: { method: 'POST', url: '/api/v1/movies', headers: bearer(admin), payload: { title: `Req ${Math.random()}` } } },
      { name: '204', status: 204, opts: { method: 'OPTIONS', url: '/api/v1/movies' } },
      { name: '304', status: 304, opts: { url: '/healthz', headers: { 'if-none-match': '*' } } },
      { name: '400', status: 400, opts: { method: 'POST', url: '/api/v1/users', headers: { 'content-type': 'application/json' }, payload: '{"username":' } },
      { name: '401', status: 401, opts: { url: '/api/v1/users/me' } },
      { name: '403', status: 403, opts: { method: 'POST', url: '/api/v1/movies', headers: bearer(user), payload: { title: 'No' } } },
      { name: '404', status: 404, opts: { url: '/nope' } },
      { name: '405', status: 405, opts: { method: 'DELETE', url: '/api/v1/movies' } },
      { name: '415', status: 415, opts: { method: 'POST', url: '/api/v1/users', headers: { 'content-type': 'text/plain' }, payload: 'hi' } },
      { name: '422', status: 422, opts: { url: '/api/v1/movies?page=0' } },
    ];

    it('echoes a sane incoming id on every kind of answer', async () => {
      for (const { name, status, opts } of requests()) {
        const id = `abc-123.${name}:x_y`;
        const res = await ctx.app.inject({ ...opts, headers: { ...(opts.headers as Record<string, string>), 'x-request-id': id } });
        assert.equal(res.statusCode, status, `${name}: ${res.body}`);
        assert.equal(res.headers['x-request-id'], id, name);
      }
      const plain = await ctx.app.inject({ url: '/healthz', headers: { 'x-request-id': 'abc-123' } });
      assert.equal(plain.headers['x-request-id'], 'abc-123');
    });

    it('generates a unique id when none is sent', async () => {
      const seen = new Set<string>();
      for (const { name, status, opts } of requests()) {
        const res = await ctx.app.inject(opts);
        assert.equal(res.statusCode, status, `${name}: ${res.body}`);
        const id = res.headers['x-request-id'];
        assert.equal(typeof id, 'string', name);
        assert.match(String(id), SANE_ID);
        assert.ok(!seen.has(String(id)), `${name}: id ${String(id)} repeated`);
        seen.add(String(id));
      }
    });

    it('replaces an insane incoming id with a generated one', async () => {
      const insane = ['x'.repeat(129), 'x'.repeat(5000), 'has space', 'line\nbreak', 'tab\there', '<script>', 'a;b', 'quote"d', 'ñandú', ''];
      const seen = new Set<string>();
      for (const bad of insane) {
        const res = await ctx.app.inject({ url: '/healthz', headers: { 'x-request-id': bad } });
        assert.equal(res.statusCode, 200);
        const id = String(res.headers['x-request-id']);
        assert.notEqual(id, bad);
        assert.match(id, SANE_ID, `${JSON.stringify(bad)} gave ${JSON.stringify(id)}`);
        assert.ok(!seen.has(id));
        seen.add(id);
      }
      // The boundary: 128 plain characters are still echoed.
      const longest = 'y'.repeat(128);
      const ok = await ctx.app.inject({ url: '/healthz', headers: { 'x-request-id': longest } });
      assert.equal(ok.headers['x-request-id'], longest);
    });
  });

  describe('request bodies: 400, 415, 413 and nothing written', () => {
    it('answers 400 to malformed JSON and writes nothing', async () => {
      const before2 = await counts(ctx.db);
      for (const payload of ['{"username": "bad_json", "password": "long-enough"', '{username: 1}', 'nope', '{"a":1}}', '[1,2,']) {
        const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/users', headers: { 'content-type': 'application/json' }, payload });
        assert.equal(res.statusCode, 400, payload);
        const body = res.json<{ detail: unknown }>();
        assert.deepEqual(Object.keys(body).filter((k) => k !== 'ctx').sort(), ['code', 'detail']);
        assert.equal(typeof body.detail, 'string');
        assert.match(String(body.detail), /not valid JSON/i);
      }
      const review = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/reviews',
        headers: { ...bearer(admin), 'content-type': 'application/json' },
        payload: `{"movie_id": ${movieId}, "review": "ok", "score": 5,}`,
      });
      assert.equal(review.statusCode, 400);
      assert.match(review.json<{ detail: string }>().detail, /not valid JSON/i);
      const movie = await ctx.app.inject({
        method: 'PUT',
        url: `/api/v1/movies/${movieId}`,
        headers: { ...bearer(admin), 'content-type': 'application/json; charset=utf-8' },
        payload: '{"title": "Broken"',
      });
      assert.equal(movie.statusCode, 400);
      assert.deepEqual(await counts(ctx.db), before2);
      assert.equal((await ctx.app.inject(`/api/v1/movies/${movieId}`)).json<{ title: string }>().title, 'Amanece, que no es poco');
    });

    it('treats JSON prototype poisoning as a 400, not a crash', async () => {
      const res = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/users',
        headers: { 'content-type': 'application/json' },
        payload: '{"username": "proto_user", "password": "long-enough", "__proto__": {"role": "admin"}}',
      });
      assert.equal(res.statusCode, 400);
      assert.equal(typeof res.json<{ detail: unknown }>().detail, 'string');
    });

    it('answers 400 to an empty body sent as application/json', async () => {
      const before2 = await counts(ctx.db);
      for (const [url, headers] of [
        ['/api/v1/users', {}],
        ['/api/v1/users/login', {}],
        ['/auth', {}],
        ['/api/v1/reviews', bearer(user)],
      ] as const) {
        const res = await ctx.app.inject({ method: 'POST', url, headers: { ...headers, 'content-type': 'application/json' }, payload: '' });
        assert.equal(res.statusCode, 400, `${url}: ${res.body}`);
        const body = res.json<{ detail: unknown }>();
        assert.deepEqual(Object.keys(body).filter((k) => k !== 'ctx').sort(), ['code', 'detail']);
        assert.equal(typeof body.detail, 'string');
        assert.match(String(body.detail), /empty/i);
      }
      assert.deepEqual(await counts(ctx.db), before2);
    });

    it('answers 415 to a Content-Type a JSON endpoint does not take, and writes nothing', async () => {
      const before2 = await counts(ctx.db);
      const bodies: [string, string][] = [
        ['text/plain', '{"username": "plain_text", "password": "long-enough"}'],
        ['text/plain; charset=utf-8', '{"username": "plain_text", "password": "long-enough"}'],
        ['application/xml', '<user><username>xml_user</username></user>'],
        ['text/html', '<p>hi</p>'],
        ['application/x-www-form-urlencoded', 'username=form_user&password=long-enough'],
        ['multipart/form-data; boundary=xyz', '--xyz\r\nContent-Disposition: form-data; name="username"\r\n\r\nmulti\r\n--xyz--\r\n'],
        ['application/octet-stream', 'binary'],
      ];
      for (const [type, payload] of bodies) {
        const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/users', headers: { 'content-type': type }, payload });
        assert.equal(res.statusCode, 415, `${type}: ${res.body}`);
        assert.deepEqual(res.json(), { detail: 'Unsupported Content-Type: send application/json', code: 'unsupported_media_type', ctx: { accepted: 'application/json' } }, type);
      }
      const review = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/reviews',
        headers: { ...bearer(user), 'content-type': 'text/plain' },
        payload: JSON.stringify({ movie_id: movieId, review: 'again', score: 1 }),
      });
      assert.equal(review.statusCode, 415);
      const movie = await ctx.app.inject({
        method: 'PATCH',
        url: `/api/v1/movies/${movieId}`,
        headers: { ...bearer(admin), 'content-type': 'application/xml' },
        payload: '<title>XML</title>',
      });
      assert.equal(movie.statusCode, 415);
      // /auth takes a form or JSON, but nothing else, and says so: its documentation asks for a form.
      for (const url of ['/auth', '/api/v1/auth']) {
        for (const [type, payload] of bodies.filter(([t]) => !t.startsWith('application/x-www-form-urlencoded'))) {
          const auth = await ctx.app.inject({ method: 'POST', url, headers: { 'content-type': type }, payload });
          assert.equal(auth.statusCode, 415, `${url} ${type}`);
          assert.deepEqual(auth.json(), {
            detail: 'Unsupported Content-Type: send application/x-www-form-urlencoded or application/json',
            code: 'unsupported_media_type',
            ctx: { accepted: 'application/x-www-form-urlencoded or application/json' },
          });
        }
      }
      assert.deepEqual(await counts(ctx.db), before2);
    });

    it('answers 413 to a body over the default 64 KiB limit and writes nothing', async () => {
      const before2 = await counts(ctx.db);
      const big = JSON.stringify({ username: 'big_body', password: 'p'.repeat(70 * 1024) });
      const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/users', headers: { 'content-type': 'application/json' }, payload: big });
      assert.equal(res.statusCode, 413);
      const body = res.json<{ detail: unknown }>();
      assert.deepEqual(Object.keys(body).filter((k) => k !== 'ctx').sort(), ['code', 'detail']);
      assert.equal(typeof body.detail, 'string');
      assert.deepEqual(await counts(ctx.db), before2);
    });

    describe('with BODY_LIMIT=1024', () => {
      let small: TestContext;
      let smallAdmin: string;
      before(async () => {
        small = await startApp({ BODY_LIMIT: '1024' });
        smallAdmin = await adminToken(small);
      });
      after(async () => small.close());

      it('answers 413 over the configured limit, JSON or form, and takes a body under it', async () => {
        const before2 = await counts(small.db);
        const movie = await small.app.inject({
          method: 'POST',
          url: '/api/v1/movies',
          headers: bearer(smallAdmin),
          payload: { title: 'Too long a synopsis', synopsis: 's'.repeat(2000) },
        });
        assert.equal(movie.statusCode, 413);
        const body = movie.json<{ detail: unknown }>();
        assert.deepEqual(Object.keys(body).filter((k) => k !== 'ctx').sort(), ['code', 'detail']);
        assert.equal(typeof body.detail, 'string');

        const form = await small.app.inject({
          method: 'POST',
          url: '/auth',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: `username=admin&password=${'p'.repeat(2000)}`,
        });
        assert.equal(form.statusCode, 413);
        assert.equal(typeof form.json<{ detail: unknown }>().detail, 'string');
        assert.deepEqual(await counts(small.db), before2);

        const fits = await small.app.inject({
          method: 'POST',
          url: '/api/v1/movies',
          headers: bearer(smallAdmin),
          payload: { title: 'Short synopsis', synopsis: 's'.repeat(500) },
        });
        assert.equal(fits.statusCode, 201, fits.body);
        assert.equal((await counts(small.db)).movies, before2.movies! + 1);
      });
    });
  });

  describe('422 validation errors', () => {
    interface Issue {
      loc: (string | number)[];
      msg: string;
      type: string;
      ctx?: Record<string, string | number>;
    }
    /** FastAPI's 422 body, each item as pydantic writes it: loc, msg, type, and ctx when the message has values. */
    const detailOf = (res: LightMyRequestResponse): Issue[] => {
      assert.equal(res.statusCode, 422, res.body);
      const body = res.json<{ detail: Issue[] }>();
      assert.deepEqual(Object.keys(body), ['detail']);
      assert.ok(Array.isArray(body.detail));
      for (const issue of body.detail) {
        assert.deepEqual(Object.keys(issue).filter((k) => k !== 'ctx').sort(), ['loc', 'msg', 'type']);
        assert.ok(['body', 'query', 'path', 'header', 'cookie'].includes(String(issue.loc[0])), JSON.stringify(issue.loc));
        assert.equal(typeof issue.msg, 'string');
        assert.ok(issue.msg.length > 0);
        assert.equal(typeof issue.type, 'string');
      }
      return body.detail;
    };
    const locTypes = (issues: Issue[]): [string, string][] =>
      issues.map((i) => [i.loc.join('.'), i.type] as [string, string]).sort((a, b) => a[0].localeCompare(b[0]));

    it('lists every invalid body field with FastAPI-like types and messages', async () => {
      const before2 = await counts(ctx.db);
      const res = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/reviews',
        headers: bearer(user),
        payload: { movie_id: 'abc', review: '', score: 0 },
      });
      assert.deepEqual(detailOf(res), [
        { loc: ['body', 'movie_id'], msg: 'Input should be a valid integer: a JSON number, not a string (JSON types are strict here)', type: 'int_type', ctx: { got: 'string' } },
        { loc: ['body', 'review'], msg: 'String should have at least 1 character', type: 'string_too_short', ctx: { min_length: 1 } },
        { loc: ['body', 'score'], msg: 'Input should be greater than or equal to 1', type: 'greater_than_equal', ctx: { ge: 1 } },
      ]);

      const high = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/reviews',
        headers: bearer(user),
        payload: { movie_id: movieId, review: 'x'.repeat(5001), score: 6 },
      });
      assert.deepEqual(locTypes(detailOf(high)), [
        ['body.review', 'string_too_long'],
        ['body.score', 'less_than_equal'],
      ]);

      const types = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/reviews',
        headers: bearer(user),
        payload: { movie_id: 1.5, review: 42, score: '5' },
      });
      assert.deepEqual(locTypes(detailOf(types)), [
        ['body.movie_id', 'int_from_float'],
        ['body.review', 'string_type'],
        ['body.score', 'int_type'],
      ]);
      // A number written as a string is never read as one in a JSON body, and the message says why.
      const year = await ctx.app.inject({ method: 'POST', url: '/api/v1/movies', headers: bearer(admin), payload: { title: 'Strict', year: '2006' } });
      assert.deepEqual(detailOf(year), [{ loc: ['body', 'year'], msg: 'Input should be a valid integer: a JSON number, not a string (JSON types are strict here)', type: 'int_type', ctx: { got: 'string' } }]);
      assert.deepEqual(await counts(ctx.db), before2);
    });

    it('reports each missing field as "missing", and a missing body as loc ["body"]', async () => {
      const empty = await ctx.app.inject({ method: 'POST', url: '/api/v1/reviews', headers: bearer(user), payload: {} });
      assert.deepEqual(detailOf(empty), [
        { loc: ['body', 'movie_id'], msg: 'Field required', type: 'missing' },
        { loc: ['body', 'review'], msg: 'Field required', type: 'missing' },
        { loc: ['body', 'score'], msg: 'Field required', type: 'missing' },
      ]);

      for (const [method, url, headers] of [
        ['POST', '/api/v1/users', {}],
        ['POST', '/api/v1/users/login', {}],
        ['POST', '/auth', {}],
        ['POST', '/api/v1/reviews', bearer(user)],
        ['PUT', `/api/v1/reviews/${reviewId}`, bearer(user)],
        ['POST', '/api/v1/movies', bearer(admin)],
        ['PUT', '/api/v1/users/me/password', bearer(user)],
      ] as const) {
        const res = await ctx.app.inject({ method, url, headers });
        assert.deepEqual(detailOf(res), [{ loc: ['body'], msg: 'Field required', type: 'missing' }], `${method} ${url}`);
      }

      const notObject = await ctx.app.inject({ method: 'POST', url: '/api/v1/users', payload: [1, 2] });
      assert.deepEqual(locTypes(detailOf(notObject)), [['body', 'model_attributes_type']]);
    });

    it('validates users: lengths and the username pattern, every field at once', async () => {
      const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/users', payload: { username: 'ab', password: 'short' } });
      assert.deepEqual(detailOf(res), [
        { loc: ['body', 'username'], msg: 'String should have at least 3 characters', type: 'string_too_short', ctx: { min_length: 3 } },
        { loc: ['body', 'password'], msg: 'String should have at least 8 characters', type: 'string_too_short', ctx: { min_length: 8 } },
      ]);
      const pattern = await ctx.app.inject({ method: 'POST', url: '/api/v1/users', payload: { username: 'has space', password: 'p'.repeat(129) } });
      assert.deepEqual(locTypes(detailOf(pattern)), [
        ['body.password', 'string_too_long'],
        ['body.username', 'string_pattern_mismatch'],
      ]);
    });

    it('uses loc "query" for bad query values and "path" for bad path parameters', async () => {
      const query = await ctx.app.inject('/api/v1/movies?page=0&limit=abc');
      assert.deepEqual(detailOf(query), [
        { loc: ['query', 'page'], msg: 'Input should be greater than or equal to 1', type: 'greater_than_equal', ctx: { ge: 1 } },
        { loc: ['query', 'limit'], msg: 'Input should be a valid integer, unable to parse string as an integer', type: 'int_parsing' },
      ]);
      const tooMany = await ctx.app.inject('/api/v1/reviews?limit=101&movie_id=x');
      assert.deepEqual(locTypes(detailOf(tooMany)), [
        ['query.limit', 'less_than_equal'],
        ['query.movie_id', 'int_parsing'],
      ]);
      const sort = await ctx.app.inject('/api/v1/movies?sort=nonsense&order=up');
      const sortIssues = detailOf(sort);
      assert.deepEqual(
        sortIssues.map((i) => i.loc.join('.')).sort(),
        ['query.order', 'query.sort'],
      );

      const word = await ctx.app.inject('/api/v1/movies/abc');
      assert.deepEqual(detailOf(word), [
        { loc: ['path', 'id'], msg: 'Input should be a valid integer, unable to parse string as an integer', type: 'int_parsing' },
      ]);
      const zero = await ctx.app.inject('/api/v1/reviews/0');
      assert.deepEqual(detailOf(zero), [{ loc: ['path', 'id'], msg: 'Input should be greater than or equal to 1', type: 'greater_than_equal', ctx: { ge: 1 } }]);
      const reviewsOf = await ctx.app.inject('/api/v1/movies/-3/reviews?page=x');
      // Every invalid field, across the parts of the request: path, query and body together.
      assert.deepEqual(locTypes(detailOf(reviewsOf)), [
        ['path.id', 'greater_than_equal'],
        ['query.page', 'int_parsing'],
      ]);
      const everywhere = await ctx.app.inject({ method: 'PUT', url: '/api/v1/reviews/abc', headers: bearer(user), payload: { score: 9 } });
      assert.deepEqual(detailOf(everywhere), [
        { loc: ['path', 'id'], msg: 'Input should be a valid integer, unable to parse string as an integer', type: 'int_parsing' },
        { loc: ['body', 'review'], msg: 'Field required', type: 'missing' },
        { loc: ['body', 'score'], msg: 'Input should be less than or equal to 5', type: 'less_than_equal', ctx: { le: 5 } },
      ]);
      const noBody = await ctx.app.inject({ method: 'PUT', url: '/api/v1/movies/0', headers: bearer(admin) });
      assert.deepEqual(detailOf(noBody), [
        { loc: ['path', 'id'], msg: 'Input should be greater than or equal to 1', type: 'greater_than_equal', ctx: { ge: 1 } },
        { loc: ['body'], msg: 'Field required', type: 'missing' },
      ]);
    });
    it('reads query and path integers as digits only: 1e3, 0x10, " 1", 1.0 are 422, as in pydantic', async () => {
      for (const spelling of ['1e3', '0x10', '%201', '1%20', '1.0', '1_000', '0b1', 'Infinity']) {
        const res = await ctx.app.inject(`/api/v1/movies?page=${spelling}`);
        assert.deepEqual(detailOf(res), [{ loc: ['query', 'page'], msg: 'Input should be a valid integer, unable to parse string as an integer', type: 'int_parsing' }], spelling);
        const path = await ctx.app.inject(`/api/v1/reviews/${spelling}`);
        assert.deepEqual(locTypes(detailOf(path)), [['path.id', 'int_parsing']], spelling);
      }
      // What is digits stays accepted, signs included.
      assert.equal((await ctx.app.inject('/api/v1/movies?page=%2B1&limit=007')).statusCode, 200);
    });

    it('refuses U+0000 and unpaired surrogates in any text, body, query or form, with 422 at the field', async () => {
      const before2 = await counts(ctx.db);
      const expectUnicode = (res: LightMyRequestResponse, loc: string[]) =>
        assert.deepEqual(detailOf(res), [{ loc, msg: 'String should not contain U+0000 (NUL) or an unpaired UTF-16 surrogate', type: 'string_unicode' }]);
      for (const bad of ['ab\\u0000cd', '\\u0000', 'x\\ud800', '\\udfffx', '\\udc00\\ud800']) {
        const json = (body: string) => ({ headers: { ...bearer(admin), 'content-type': 'application/json' }, payload: body });
        expectUnicode(await ctx.app.inject({ method: 'POST', url: '/api/v1/movies', ...json(`{"title": "${bad}"}`) }), ['body', 'title']);
        expectUnicode(await ctx.app.inject({ method: 'POST', url: '/api/v1/movies', ...json(`{"title": "Ok", "synopsis": "${bad}"}`) }), ['body', 'synopsis']);
        expectUnicode(await ctx.app.inject({ method: 'PATCH', url: `/api/v1/reviews/${reviewId}`, ...json(`{"review": "${bad}"}`) }), ['body', 'review']);
        expectUnicode(await ctx.app.inject({ method: 'POST', url: '/api/v1/users/login', ...json(`{"username": "${bad}", "password": "whatever-it-is"}`) }), ['body', 'username']);
      }
      // A pair is a character (😀 is \ud83d\ude00): accepted.
      const pair = await ctx.app.inject({
        method: 'PATCH',
        url: `/api/v1/movies/${movieId}`,
        headers: { ...bearer(admin), 'content-type': 'application/json' },
        payload: '{"synopsis": "\\ud83d\\ude00"}',
      });
      assert.equal(pair.statusCode, 200, pair.body);
      assert.equal(pair.json<{ synopsis: string }>().synopsis, '😀');
      expectUnicode(await ctx.app.inject('/api/v1/movies?q=ab%00cd'), ['query', 'q']);
      const form = await ctx.app.inject({
        method: 'POST',
        url: '/auth',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'username=ana%00&password=whatever-it-is',
      });
      expectUnicode(form, ['body', 'username']);
      // Listed with every other invalid field.
      const both = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/reviews',
        headers: { ...bearer(user), 'content-type': 'application/json' },
        payload: '{"movie_id": 0, "review": "a\\u0000", "score": 3}',
      });
      assert.deepEqual(locTypes(detailOf(both)), [
        ['body.movie_id', 'greater_than_equal'],
        ['body.review', 'string_unicode'],
      ]);
      const after2 = await counts(ctx.db);
      assert.deepEqual({ ...after2, sessions: 0 }, { ...before2, sessions: 0 });
    });
  });

  describe('service endpoints, pages and docs', () => {
    it('answers /healthz 200 and /readyz 200 {"status":"ready"}', async () => {
      const health = await ctx.app.inject('/healthz');
      assert.equal(health.statusCode, 200);
      assert.deepEqual(health.json(), { status: 'ok' });
      const ready = await ctx.app.inject('/readyz');
      assert.equal(ready.statusCode, 200);
      assert.deepEqual(ready.json(), { status: 'ready' });
    });

    it('answers /readyz 503 while not ready (starting or shutting down), /healthz still 200', async () => {
      ctx.app.lifecycle.ready = false;
      try {
        const res = await ctx.app.inject('/readyz');
        assert.equal(res.statusCode, 503);
        const body = res.json<{ detail: unknown }>();
        assert.deepEqual(Object.keys(body).filter((k) => k !== 'ctx').sort(), ['code', 'detail']);
        assert.equal(typeof body.detail, 'string');
        assert.equal(res.headers.etag, undefined);
        assert.equal((await ctx.app.inject('/healthz')).statusCode, 200);
      } finally {
        ctx.app.lifecycle.ready = true;
      }
      assert.equal((await ctx.app.inject('/readyz')).statusCode, 200);
    });

    it('answers / with an HTML page', async () => {
      const res = await ctx.app.inject('/');
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['content-type']), /^text\/html/);
      assert.match(res.body, /^<!doctype html>/i);
      assert.match(res.body, /Butaca/);
      assert.match(res.body, /href="\/docs"/);
    });

    it('serves Swagger UI at /docs, pointed at the same OpenAPI document', async () => {
      let res = await ctx.app.inject('/docs');
      for (let hops = 0; res.statusCode >= 300 && res.statusCode < 400 && hops < 5; hops++) {
        const location = String(res.headers.location);
        res = await ctx.app.inject(new URL(location, 'http://localhost/docs').pathname);
      }
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['content-type']), /^text\/html/);
      assert.match(res.body, /<div id="swagger-ui">/);
      const scripts = [...res.body.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]!);
      assert.ok(scripts.some((s) => s.endsWith('swagger-ui-bundle.js')), `scripts: ${scripts.join(', ')}`);
      for (const src of scripts) {
        const script = await ctx.app.inject(new URL(src, 'http://localhost/docs/').pathname);
        assert.equal(script.statusCode, 200, src);
        assert.match(String(script.headers['content-type']), /javascript/);
      }
      // Butaca's page, not the framework's: its title and stylesheet (the rest is test/e2e/docs.test.ts).
      assert.match(res.body, /<title>Butaca API<\/title>/);
      const css = [...res.body.matchAll(/<link rel="stylesheet" type="text\/css" href="([^"]+)"/g)].map((m) => m[1]!).find((h) => h.endsWith('/butaca.css'));
      assert.ok(css, 'the Butaca stylesheet is linked');
      const sheet = await ctx.app.inject(new URL(css, 'http://localhost/docs/').pathname);
      assert.equal(sheet.statusCode, 200);
      assert.match(String(sheet.headers['content-type']), /^text\/css/);
      // The settings the UI fetches as it starts point it, and its Explore box, at /openapi.json.
      assert.deepEqual((await ctx.app.inject('/docs/ui-config.json')).json(), { url: '/openapi.json' });
      // The UI loads ./json from /docs/; it is the same document as /openapi.json.
      const uiDoc = await ctx.app.inject('/docs/json');
      assert.equal(uiDoc.statusCode, 200);
      assert.deepEqual(uiDoc.json(), (await ctx.app.inject('/openapi.json')).json());
    });

    describe('/openapi.json', () => {
      type Operation = {
        security?: Record<string, string[]>[];
        responses: Record<string, { description?: string; content?: Record<string, unknown> }>;
        parameters?: { in: string; name: string; required?: boolean }[];
        requestBody?: { content: Record<string, { schema?: unknown }> };
      };
      type Doc = {
        openapi: string;
        info: { title: string; version: string };
        paths: Record<string, Record<string, Operation>>;
        components: { securitySchemes: Record<string, { type: string; flows?: { password?: { tokenUrl: string } } }> };
      };
      let doc: Doc;

      before(async () => {
        const res = await ctx.app.inject('/openapi.json');
        assert.equal(res.statusCode, 200);
        assert.match(String(res.headers['content-type']), /^application\/json/);
        doc = res.json<Doc>();
      });

      type Auth = 'none' | 'user' | 'admin';
      const operations: { method: string; path: string; auth: Auth; body?: boolean; success: number; page?: boolean; extra?: number[] }[] = [
        { method: 'post', path: '/api/v1/users', auth: 'none', body: true, success: 201, extra: [409] },
        { method: 'post', path: '/api/v1/users/login', auth: 'none', body: true, success: 200, extra: [401] },
        { method: 'post', path: '/api/v1/users/logout', auth: 'user', success: 204 },
        { method: 'get', path: '/api/v1/users/me', auth: 'user', success: 200 },
        { method: 'delete', path: '/api/v1/users/me', auth: 'user', body: true, success: 204 },
        { method: 'put', path: '/api/v1/users/me/password', auth: 'user', body: true, success: 204 },
        { method: 'get', path: '/api/v1/users/reviews', auth: 'user', success: 200, page: true },
        { method: 'get', path: '/api/v1/movies', auth: 'none', success: 200, page: true },
        { method: 'post', path: '/api/v1/movies', auth: 'admin', body: true, success: 201, extra: [409] },
        { method: 'get', path: '/api/v1/movies/{id}', auth: 'none', success: 200, extra: [404] },
        { method: 'put', path: '/api/v1/movies/{id}', auth: 'admin', body: true, success: 200, extra: [404, 409] },
        { method: 'patch', path: '/api/v1/movies/{id}', auth: 'admin', body: true, success: 200, extra: [404, 409] },
        { method: 'delete', path: '/api/v1/movies/{id}', auth: 'admin', success: 204, extra: [404] },
        { method: 'get', path: '/api/v1/movies/{id}/reviews', auth: 'none', success: 200, page: true, extra: [404] },
        { method: 'get', path: '/api/v1/reviews', auth: 'none', success: 200, page: true },
        { method: 'post', path: '/api/v1/reviews', auth: 'user', body: true, success: 201, extra: [404, 409] },
        { method: 'get', path: '/api/v1/reviews/{id}', auth: 'none', success: 200, extra: [404] },
        { method: 'put', path: '/api/v1/reviews/{id}', auth: 'user', body: true, success: 200, extra: [403, 404] },
        { method: 'patch', path: '/api/v1/reviews/{id}', auth: 'user', body: true, success: 200, extra: [403, 404] },
        { method: 'delete', path: '/api/v1/reviews/{id}', auth: 'user', success: 204, extra: [403, 404] },
        { method: 'post', path: '/auth', auth: 'none', body: true, success: 200, extra: [401] },
        { method: 'get', path: '/healthz', auth: 'none', success: 200 },
        { method: 'get', path: '/readyz', auth: 'none', success: 200, extra: [503] },
      ];

      it('is an OpenAPI 3 document with an oauth2 password flow at /auth', () => {
        assert.match(doc.openapi, /^3\.\d+\.\d+$/);
        assert.equal(doc.info.title, 'Butaca');
        assert.equal(typeof doc.info.version, 'string');
        const schemes = Object.values(doc.components.securitySchemes);
        const oauth = schemes.find((s) => s.type === 'oauth2');
        assert.ok(oauth, 'an oauth2 security scheme');
        assert.equal(oauth.flows?.password?.tokenUrl, '/auth');
      });

      for (const op of operations) {
        it(`declares ${op.method.toUpperCase()} ${op.path}`, () => {
          const operation = doc.paths[op.path]?.[op.method];
          assert.ok(operation, `${op.method.toUpperCase()} ${op.path} is missing`);
          const statuses = Object.keys(operation.responses);
          assert.ok(statuses.includes(String(op.success)), `success ${op.success} not in ${statuses.join(',')}`);
          for (const [status, response] of Object.entries(operation.responses)) {
            assert.equal(typeof response.description, 'string', `${status} has no description`);
          }

          if (op.auth === 'none') {
            // Explicitly public: `security: []`, rather than silence a reader must interpret.
            assert.deepEqual(operation.security, [], 'public operations declare an empty security requirement');
          } else {
            assert.ok(Array.isArray(operation.security) && operation.security.length > 0, 'security');
            for (const requirement of operation.security) {
              for (const name of Object.keys(requirement)) assert.ok(doc.components.securitySchemes[name], `unknown scheme ${name}`);
            }
            const oauthName = Object.entries(doc.components.securitySchemes).find(([, s]) => s.type === 'oauth2')![0];
            assert.ok(operation.security.some((r) => oauthName in r), 'the bearer token is accepted');
            assert.ok(statuses.includes('401'), '401 declared');
          }
          if (op.auth === 'admin') assert.ok(statuses.includes('403'), '403 declared');

          for (const status of op.extra ?? []) assert.ok(statuses.includes(String(status)), `${status} not in ${statuses.join(',')}`);

          const params = operation.parameters ?? [];
          const pathParams = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
          for (const name of pathParams) {
            const param = params.find((p) => p.in === 'path' && p.name === name);
            assert.ok(param, `path parameter ${name}`);
            assert.equal(param.required, true);
          }
          if (pathParams.length > 0) assert.ok(statuses.includes('422'), '422 for a bad path parameter');
          if (op.page) {
            for (const name of ['page', 'limit']) assert.ok(params.some((p) => p.in === 'query' && p.name === name), `query ${name}`);
            assert.ok(statuses.includes('422'), '422 for bad paging');
          }

          if (op.body) {
            assert.ok(operation.requestBody, 'request body');
            assert.ok(operation.requestBody.content['application/json']?.schema, 'a JSON body schema');
            assert.ok(statuses.includes('422'), '422 declared');
            for (const status of ['400', '413', '415']) assert.ok(statuses.includes(status), `${status} declared`);
          } else {
            assert.equal(operation.requestBody, undefined, 'no request body');
          }
        });
      }

      describe('declares what the cross-cutting plugins send, not only what the handlers do', () => {
        type Header = { required?: boolean; schema?: { type?: string } };
        type Response = { description?: string; headers?: Record<string, Header>; content?: Record<string, unknown> };
        type Op = Operation & { operationId?: string; responses: Record<string, Response> };
        const METHODS = ['get', 'head', 'post', 'put', 'patch', 'delete'];
        const all = (): { method: string; path: string; op: Op }[] =>
          Object.entries(doc.paths).flatMap(([p, item]) =>
            Object.entries(item)
              .filter(([m]) => METHODS.includes(m))
              .map(([method, op]) => ({ method, path: p, op: op as Op })),
          );
        const isJson = (r: Response | undefined) => r?.content?.['application/json'] !== undefined;
        const header = (r: Response | undefined, name: string) =>
          Object.entries(r?.headers ?? {}).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];

        it('names every operation: a unique camelCase operationId', () => {
          const ids = all().map(({ method, path: p, op }) => {
            assert.match(String(op.operationId), /^[a-z][A-Za-z0-9]*$/, `${method} ${p}: operationId ${op.operationId}`);
            return op.operationId!;
          });
          assert.equal(new Set(ids).size, ids.length, `duplicate operationIds: ${ids.join(', ')}`);
          const id = (method: string, p: string) => doc.paths[p]?.[method] && (doc.paths[p]![method] as Op).operationId;
          assert.equal(id('get', '/api/v1/movies'), 'listMovies');
          assert.equal(id('get', '/api/v1/movies/{id}'), 'getMovie');
          assert.equal(id('post', '/api/v1/reviews'), 'createReview');
          assert.equal(id('post', '/api/v1/movies/{id}/poster'), 'uploadMoviePoster');
          assert.equal(id('post', '/auth'), 'createToken');
        });

        it('says where the server is (relative, so it holds behind a proxy) and under which license', () => {
          const full = doc as unknown as { servers?: { url: string }[]; info: { license?: { name: string; identifier?: string } } };
          assert.deepEqual(full.servers?.map((s) => s.url), ['/']);
          assert.equal(full.info.license?.name, 'MIT');
          assert.equal(full.info.license?.identifier, 'MIT');
        });

        it('declares 304 with an ETag on every JSON GET the ETag plugin tags', () => {
          const gets = all().filter(({ method, op }) => method === 'get' && isJson(op.responses['200']));
          assert.ok(gets.length >= 10, `only ${gets.length} JSON GETs`);
          for (const { path: p, op } of gets) {
            assert.ok(op.responses['304'], `GET ${p} declares 304`);
            assert.equal(op.responses['304']!.content, undefined, `GET ${p}: a 304 has no body`);
            assert.ok(header(op.responses['200'], 'ETag')?.required, `GET ${p}: 200 carries an ETag`);
            assert.ok(header(op.responses['304'], 'ETag'), `GET ${p}: 304 carries the ETag`);
          }
        });

        it('declares 429 with Retry-After on every rate-limited operation (all but the probes and /metrics), the login routes too', () => {
          for (const { method, path: p, op } of all()) {
            const limited = p !== '/healthz' && p !== '/readyz' && p !== '/metrics';
            assert.equal(Boolean(op.responses['429']), limited, `${method.toUpperCase()} ${p}: 429 ${limited ? 'missing' : 'declared on a probe'}`);
            if (limited) assert.ok(header(op.responses['429'], 'Retry-After')?.required, `${method.toUpperCase()} ${p}: 429 carries Retry-After`);
          }
          assert.ok(doc.paths['/auth']!.post!.responses['429']);
          assert.ok(doc.paths['/api/v1/users/login']!.post!.responses['429']);
        });

        it('declares the cross-site 403 on every cookie-authenticated write and on the cookie login', () => {
          for (const { method, path: p, op } of all()) {
            if (!['post', 'put', 'patch', 'delete'].includes(method) || (op.security ?? []).length === 0) continue;
            assert.ok(op.responses['403'], `${method.toUpperCase()} ${p} declares 403`);
            assert.match(String(op.responses['403']!.description), /cross-site/i, `${method.toUpperCase()} ${p}: 403 says why`);
          }
          assert.match(String(doc.paths['/api/v1/users/login']!.post!.responses['403']?.description), /cross-site/i);
          assert.ok(doc.paths['/api/v1/reviews']!.post!.responses['403'], 'POST /api/v1/reviews (a user route) declares the cross-site 403');
        });

        it('declares 5XX (unexpected failure, unavailable database) on every operation', () => {
          for (const { method, path: p, op } of all()) assert.ok(op.responses['5XX'] ?? op.responses['500'], `${method.toUpperCase()} ${p}: 5XX`);
        });

        it('documents HEAD where the README promises it: posters and trailers, without a body', () => {
          for (const kind of ['poster', 'trailer']) {
            const item = doc.paths[`/api/v1/movies/{id}/${kind}`]!;
            const head = item.head as Op | undefined;
            assert.ok(head, `HEAD ${kind}`);
            assert.deepEqual(Object.keys(head.responses).sort(), Object.keys(item.get!.responses).sort());
            for (const [status, r] of Object.entries(head.responses)) assert.equal(r.content, undefined, `HEAD ${kind} ${status} has no body`);
          }
        });

        it('documents the headers the server sends: X-Total-Count and Link on lists, Location on creation, WWW-Authenticate on 401', () => {
          const paged = all().filter(({ op }) => (op.parameters ?? []).some((q) => q.in === 'query' && q.name === 'page'));
          assert.equal(paged.length, 17, paged.map((p) => p.path).join(", "));
          for (const { path: p, op } of paged) {
            assert.equal(header(op.responses['200'], 'X-Total-Count')?.schema?.type, 'integer', `GET ${p}`);
            assert.ok(header(op.responses['200'], 'Link')?.required, `GET ${p}`);
          }
          // The feed pages by cursor: a next link when there is more, no total.
          const feed = doc.paths['/api/v1/users/me/feed']!.get!;
          assert.ok(header(feed.responses['200'], 'Link'), 'GET /api/v1/users/me/feed: Link');
          assert.equal(header(feed.responses['200'], 'X-Total-Count'), undefined);
          for (const { method, path: p, op } of all()) {
            if (op.responses['201']) assert.ok(header(op.responses['201'], 'Location')?.required, `${method.toUpperCase()} ${p}: 201 Location`);
            if (op.responses['401']) assert.ok(header(op.responses['401'], 'WWW-Authenticate'), `${method.toUpperCase()} ${p}: 401 WWW-Authenticate`);
          }
        });
      });

      it('takes the /auth form as the OAuth2 password flow does', () => {
        const auth = doc.paths['/auth']!.post!;
        const form = auth.requestBody!.content['application/x-www-form-urlencoded'];
        assert.ok(form?.schema, 'a form body');
        const schema = form.schema as { properties: Record<string, unknown>; required: string[] };
        assert.deepEqual([...schema.required].sort(), ['password', 'username']);
      });

      it('uses OpenAPI path templates only, and documents the schemas that validate requests', () => {
        for (const p of Object.keys(doc.paths)) assert.doesNotMatch(p, /\/:/, `${p} uses the router's :param syntax`);
        const create = doc.paths['/api/v1/reviews']!.post!.requestBody!.content['application/json']!.schema as {
          required: string[];
          properties: Record<string, { minimum?: number; maximum?: number }>;
        };
        // score is required unless rating is sent (community.md, Ratings): said with if/else.
        assert.deepEqual([...create.required].sort(), ['movie_id', 'review']);
        assert.deepEqual((create as unknown as { else: { required: string[] } }).else.required, ['score']);
        assert.equal(create.properties.score?.minimum, 1);
        assert.equal(create.properties.score?.maximum, 5);
        const limit = doc.paths['/api/v1/movies']!.get!.parameters!.find((p) => p.name === 'limit') as { schema?: { maximum?: number } } | undefined;
        assert.equal(limit?.schema?.maximum, 100);
      });
    });
  });
});

describe('answers that need special care', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await startApp();
  });
  after(async () => ctx.close());

  it('answers a URL that does not decode with a FastAPI-shaped 400 and a request id', async () => {
    for (const url of ['/api/v1/movies/%E0%A4%A', '/api/v1/%ZZ']) {
      const res = await ctx.app.inject({ url, headers: { 'x-request-id': 'bad-url-1' } });
      assert.equal(res.statusCode, 400, url);
      assert.match(res.json<{ detail: string }>().detail, /Malformed URL/);
      assert.equal(res.headers['x-request-id'], 'bad-url-1');
    }
  });

  it('marks answers for a signed-in caller private, varying by credentials', async () => {
    const t = await userToken(ctx.app, 'private_me');
    const res = await ctx.app.inject({ url: '/api/v1/users/me', headers: bearer(t) });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['cache-control'], 'private, no-cache');
    assert.match(String(res.headers.vary), /Authorization/);
    assert.match(String(res.headers.vary), /Cookie/);
    // Public reads are left to the usual caching.
    assert.equal((await ctx.app.inject({ url: '/api/v1/movies' })).headers['cache-control'], undefined);
  });
});

describe('unexpected failures and the log', () => {
  it('answers 500 {"detail":"Internal Server Error"} with no stack or SQL, logged once with the request id', async () => {
    const logged = await startLoggedApp();
    try {
      const admin = await adminToken({ ...logged, config: logged.app.config });
      const movie = await createMovie(logged.app, admin, { title: 'Doomed', year: 2020 });
      // Registered before the table goes: a new member's profile counts their reviews.
      const token2 = await userToken(logged.app, 'doomed_user');
      // (CASCADE on PostgreSQL: likes, comments and activities point at it.)
      await sql.raw(logged.app.config.database.kind === 'postgres' ? 'drop table reviews cascade' : 'drop table reviews').execute(logged.db);

      // A review by id: a page of all reviews would not even reach the table (its total, 0, comes from row_counts).
      const res = await logged.app.inject({ url: '/api/v1/reviews/1', headers: { 'x-request-id': 'boom-500' } });
      assert.equal(res.statusCode, 500);
      assert.deepEqual(res.json(), { detail: 'Internal Server Error', code: 'internal_error' });
      assert.equal(res.headers['x-request-id'], 'boom-500');
      assert.equal(res.headers.etag, undefined);
      assert.doesNotMatch(res.body, /reviews|select|sqlite|stack|at \w|\.ts/i);

      const errorLines = logged.lines().filter((l) => l.level >= 50);
      assert.equal(errorLines.length, 1, JSON.stringify(errorLines));
      const line = errorLines[0]!;
      assert.equal(line.level, 50);
      assert.equal(line.reqId, 'boom-500');
      assert.ok(line.err, 'the error is in the log line');
      assert.match(String(line.err.message), /no such table: reviews|relation "reviews" does not exist/);
      assert.equal(typeof line.err.stack, 'string');
      // The request's completion is logged with the same id.
      assert.ok(logged.lines().some((l) => l.reqId === 'boom-500' && l.level === 30 && /completed/.test(String(l.msg))));

      // A write that needs the table fails the same way, with a generated id this time.
      const write = await logged.app.inject({
        method: 'POST',
        url: '/api/v1/reviews',
        headers: bearer(token2),
        payload: { movie_id: movie.id, review: 'nope', score: 3 },
      });
      assert.equal(write.statusCode, 500);
      assert.deepEqual(write.json(), { detail: 'Internal Server Error', code: 'internal_error' });
      const id = String(write.headers['x-request-id']);
      assert.match(id, SANE_ID);
      const second = logged.lines().filter((l) => l.level >= 50);
      assert.equal(second.length, 2);
      assert.equal(second[1]!.reqId, id);
    } finally {
      await logged.close();
    }
  });

  it('answers 500 when the database handle is gone, and /readyz turns 503', async () => {
    const gone = await startApp();
    try {
      await gone.db.destroy();
      const res = await gone.app.inject({ url: '/api/v1/movies', headers: { 'x-request-id': 'db-gone' } });
      assert.equal(res.statusCode, 500);
      assert.deepEqual(res.json(), { detail: 'Internal Server Error', code: 'internal_error' });
      assert.equal(res.headers['x-request-id'], 'db-gone');

      const ready = await gone.app.inject('/readyz');
      assert.equal(ready.statusCode, 503);
      const body = ready.json<{ detail: unknown }>();
      assert.deepEqual(Object.keys(body).filter((k) => k !== 'ctx').sort(), ['code', 'detail']);
      assert.equal(typeof body.detail, 'string');
      assert.doesNotMatch(String(body.detail), /destroyed|kysely|sqlite/i);

      const health = await gone.app.inject('/healthz');
      assert.equal(health.statusCode, 200);
    } finally {
      await gone.close();
    }
  });

  it('never logs a password, an access token or a session cookie', async () => {
    const logged = await startLoggedApp();
    try {
      const password = 'Secret-Password-4417';
      const newPassword = 'Other-Secret-Pass-8821';
      const wrongPassword = 'Wrong-Guess-Pass-7319';
      const created = await register(logged.app, 'quiet_user', password);
      assert.equal(created.username, 'quiet_user');

      const form = await logged.app.inject({
        method: 'POST',
        url: '/auth',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ username: 'quiet_user', password, grant_type: 'password' }).toString(),
      });
      assert.equal(form.statusCode, 200, form.body);
      const accessToken = form.json<{ access_token: string }>().access_token;

      const wrong = await logged.app.inject({ method: 'POST', url: '/auth', payload: { username: 'quiet_user', password: wrongPassword } });
      assert.equal(wrong.statusCode, 401);

      const login = await logged.app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { username: 'quiet_user', password } });
      assert.equal(login.statusCode, 200, login.body);
      const cookie = sessionCookie(login);
      const cookieValue = cookie.slice(cookie.indexOf('=') + 1);

      const viaBearer = await logged.app.inject({ url: '/api/v1/users/me', headers: bearer(accessToken) });
      assert.equal(viaBearer.statusCode, 200);
      const viaCookie = await logged.app.inject({ url: '/api/v1/users/me', headers: { cookie } });
      assert.equal(viaCookie.statusCode, 200);
      const both = await logged.app.inject({ url: '/api/v1/users/reviews', headers: { ...bearer(accessToken), cookie } });
      assert.equal(both.statusCode, 200);

      const changed = await logged.app.inject({
        method: 'PUT',
        url: '/api/v1/users/me/password',
        headers: bearer(accessToken),
        payload: { current_password: password, new_password: newPassword },
      });
      assert.equal(changed.statusCode, 204, changed.body);
      // The cookie session was ended by the password change: a 401 that must not log the cookie either.
      const stale = await logged.app.inject({ url: '/api/v1/users/me', headers: { cookie } });
      assert.equal(stale.statusCode, 401);
      const bad = await logged.app.inject({ url: '/api/v1/users/me', headers: bearer(`${accessToken.slice(0, -1)}x`) });
      assert.equal(bad.statusCode, 401);

      const text = logged.text();
      const lines = logged.lines();
      assert.ok(lines.length >= 10, `the requests were logged (${lines.length} lines)`);
      assert.ok(lines.some((l) => l.reqId === String(changed.headers['x-request-id'])), 'the password change was logged');
      for (const [what, secret] of [
        ['password', password],
        ['new password', newPassword],
        ['wrong password', wrongPassword],
        ['access token', accessToken],
        ['cookie value', cookieValue],
      ] as const) {
        assert.equal(text.includes(secret), false, `the log contains the ${what}`);
      }
      assert.equal(text.includes(accessToken.slice(0, 20)), false, 'the log contains part of the access token');
    } finally {
      await logged.close();
    }
  });
});
