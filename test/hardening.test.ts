import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { connect as netConnect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { ConfigError, loadConfig } from '../src/config.js';
import { nestsDeeperThan } from '../src/plugins/body-limits.js';
import { HSTS } from '../src/tls/hsts.js';
import {
  type LogLine,
  PASSWORD,
  type TestContext,
  adminToken,
  createMovie,
  listenOnLoopback,
  mediaFixture,
  memoryLogger,
  register,
  startApp,
  uploadMedia,
  waitUntil,
} from './support/app.js';
import { type TlsApp, h1Request, h2Burst, h2Connect, h2Exchange, startTlsApp } from './support/tls.js';

// A client that is not this machine: loopback is exempt from the rate limits (plugins/rate-limits.ts).
const CLIENT = '203.0.113.7';
const OTHER_CLIENT = '198.51.100.9';
const ORIGIN = 'https://app.example.com';

function assertSecurityHeaders(res: LightMyRequestResponse, what: string): void {
  const csp = String(res.headers['content-security-policy'] ?? '');
  for (const directive of [
    "default-src 'self'",
    "script-src 'self'",
    "connect-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
  ]) {
    assert.ok(csp.split(';').includes(directive), `${what}: CSP lacks ${directive}: ${csp}`);
  }
  assert.equal(res.headers['x-content-type-options'], 'nosniff', what);
  assert.equal(res.headers['referrer-policy'], 'no-referrer', what);
  assert.equal(res.headers['x-frame-options'], 'DENY', what);
  assert.equal(res.headers['cross-origin-opener-policy'], 'same-origin', what);
  assert.equal(res.headers['cross-origin-resource-policy'], 'same-origin', what);
  // HSTS belongs to the HTTPS set-up alone, never to plain HTTP.
  assert.equal(res.headers['strict-transport-security'], undefined, what);
}

/** The same request `n` times, one after the other; the answers in order. */
async function repeat(ctx: TestContext, n: number, options: InjectOptions): Promise<LightMyRequestResponse[]> {
  const out: LightMyRequestResponse[] = [];
  for (let i = 0; i < n; i++) out.push(await ctx.app.inject(options));
  return out;
}

function assertTooMany(res: LightMyRequestResponse): void {
  assert.equal(res.statusCode, 429, res.body);
  const body = res.json<{ detail: unknown }>();
  assert.deepEqual(Object.keys(body).filter((k) => k !== 'ctx').sort(), ['code', 'detail']);
  assert.equal(typeof body.detail, 'string');
  assert.match(String(res.headers['retry-after']), /^\d+$/);
  assert.ok(Number(res.headers['retry-after']) >= 1);
  assert.match(String(res.headers['ratelimit-limit']), /^\d+$/);
  assert.equal(res.headers['ratelimit-remaining'], '0');
}

describe('security headers', () => {
  let ctx: TestContext;
  let posterUrl: string;
  before(async () => {
    ctx = await startApp();
    const admin = await adminToken(ctx);
    const movie = await createMovie(ctx.app, admin, { title: 'Headers' });
    const upload = await uploadMedia(ctx.app, movie.id, 'poster', mediaFixture('poster.png'), { token: admin, as: 'image/png' });
    assert.ok(upload.statusCode < 300, upload.body);
    posterUrl = (await ctx.app.inject({ url: `/api/v1/movies/${movie.id}` })).json<{ poster_url: string }>().poster_url;
  });
  after(() => ctx.close());

  it('are on JSON, HTML, media and error answers, without HSTS over plain HTTP', async () => {
    assertSecurityHeaders(await ctx.app.inject({ url: '/api/v1/movies' }), 'JSON');
    const html = await ctx.app.inject({ url: '/', headers: { accept: 'text/html' } });
    assert.match(String(html.headers['content-type']), /^text\/html/);
    assertSecurityHeaders(html, 'HTML');
    const media = await ctx.app.inject({ url: posterUrl });
    assert.equal(media.statusCode, 200);
    assertSecurityHeaders(media, 'media');
    assertSecurityHeaders(await ctx.app.inject({ url: '/api/v1/nope' }), '404');
    assertSecurityHeaders(await ctx.app.inject({ method: 'DELETE', url: '/api/v1/movies' }), '405');
  });

  it('keep the client to its own files: no inline script or style outside /docs', async () => {
    const csp = String((await ctx.app.inject({ url: '/' })).headers['content-security-policy']);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.match(csp, /style-src 'self'(;|$)/);
  });

  it('let Swagger UI at /docs run: inline styles there only, scripts still from the server alone', async () => {
    const page = await ctx.app.inject({ url: '/docs' });
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.equal(page.statusCode, 200);
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /style-src 'self' 'unsafe-inline'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
  });
});

describe('CORS', () => {
  describe('off by default', () => {
    let ctx: TestContext;
    before(async () => (ctx = await startApp()));
    after(() => ctx.close());

    it('answers no Access-Control-* header, even to a request with Origin or a preflight', async () => {
      const res = await ctx.app.inject({ url: '/api/v1/movies', headers: { origin: ORIGIN } });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['access-control-allow-origin'], undefined);
      const preflight = await ctx.app.inject({
        method: 'OPTIONS',
        url: '/api/v1/movies',
        headers: { origin: ORIGIN, 'access-control-request-method': 'POST' },
      });
      assert.equal(preflight.statusCode, 204);
      assert.equal(preflight.headers['access-control-allow-origin'], undefined);
      assert.equal(preflight.headers['access-control-allow-methods'], undefined);
    });
  });

  describe('on with CORS_ORIGINS', () => {
    let ctx: TestContext;
    before(async () => (ctx = await startApp({ CORS_ORIGINS: `${ORIGIN}, https://other.example:8443` })));
    after(() => ctx.close());

    it('lets a listed origin read answers, and the paging and caching headers, without credentials', async () => {
      const res = await ctx.app.inject({ url: '/api/v1/movies', headers: { origin: ORIGIN } });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['access-control-allow-origin'], ORIGIN);
      const exposed = String(res.headers['access-control-expose-headers']).split(/,\s*/).map((h) => h.toLowerCase());
      assert.deepEqual(exposed.sort(), ['etag', 'link', 'location', 'x-request-id', 'x-total-count']);
      assert.equal(res.headers['access-control-allow-credentials'], undefined);
      assert.match(String(res.headers.vary), /origin/i);
      // Errors are readable too: a bearer client must see its 401.
      const denied = await ctx.app.inject({ url: '/api/v1/users/me', headers: { origin: ORIGIN } });
      assert.equal(denied.statusCode, 401);
      assert.equal(denied.headers['access-control-allow-origin'], ORIGIN);
    });

    it('answers a preflight from a listed origin with the methods and headers, never credentials', async () => {
      const res = await ctx.app.inject({
        method: 'OPTIONS',
        url: '/api/v1/movies/1',
        headers: { origin: 'https://other.example:8443', 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'authorization, content-type' },
      });
      assert.equal(res.statusCode, 204);
      assert.equal(res.headers['access-control-allow-origin'], 'https://other.example:8443');
      assert.deepEqual(String(res.headers['access-control-allow-methods']).split(/,\s*/).sort(), [
        'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT',
      ]);
      assert.deepEqual(String(res.headers['access-control-allow-headers']).split(/,\s*/).map((h) => h.toLowerCase()).sort(), [
        'authorization',
        'content-type',
      ]);
      assert.equal(res.headers['access-control-allow-credentials'], undefined);
      assert.ok(res.headers['x-request-id'], 'a preflight carries X-Request-Id like every answer');
    });

    it('gives any other origin no CORS header at all, preflight included', async () => {
      const res = await ctx.app.inject({ url: '/api/v1/movies', headers: { origin: 'https://evil.example' } });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['access-control-allow-origin'], undefined);
      const preflight = await ctx.app.inject({
        method: 'OPTIONS',
        url: '/api/v1/movies',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
      });
      assert.equal(preflight.headers['access-control-allow-origin'], undefined);
      assert.equal(preflight.headers['access-control-allow-methods'], undefined);
      assert.equal(preflight.statusCode, 204);
      assert.ok(preflight.headers.allow);
    });

    it('keeps OPTIONS with Allow, 405 and 404 for requests that are not CORS', async () => {
      const options = await ctx.app.inject({ method: 'OPTIONS', url: '/api/v1/movies' });
      assert.equal(options.statusCode, 204);
      assert.deepEqual(String(options.headers.allow).split(/,\s*/).sort(), ['GET', 'HEAD', 'OPTIONS', 'POST']);
      const wrongMethod = await ctx.app.inject({ method: 'DELETE', url: '/api/v1/movies' });
      assert.equal(wrongMethod.statusCode, 405);
      const unknown = await ctx.app.inject({ method: 'POST', url: '/api/v1/nothing-here' });
      assert.equal(unknown.statusCode, 404, unknown.body);
      assert.deepEqual(unknown.json(), { detail: 'Not Found', code: 'not_found' });
    });
  });

  it('refuses a CORS_ORIGINS entry that is not a bare origin', () => {
    for (const bad of ['*', 'app.example.com', 'https://app.example.com/', 'https://app.example.com/path', 'null']) {
      assert.throws(() => loadConfig({ CORS_ORIGINS: bad }), (err: unknown) => err instanceof ConfigError && err.variable === 'CORS_ORIGINS', bad);
    }
  });
});

describe('rate limits', () => {
  describe('on the whole API', () => {
    let ctx: TestContext;
    before(async () => (ctx = await startApp({ RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW: '60' })));
    after(() => ctx.close());

    it('answers 429 {"detail"} with Retry-After past RATE_LIMIT_MAX per address; other addresses go on', async () => {
      const answers = await repeat(ctx, 4, { url: '/api/v1/movies', remoteAddress: CLIENT });
      assert.deepEqual(answers.map((r) => r.statusCode), [200, 200, 200, 429]);
      assertTooMany(answers[3]!);
      assert.ok(Number(answers[3]!.headers['retry-after']) <= 60);
      // The limit covers every route, not only the one that used it up.
      assert.equal((await ctx.app.inject({ url: '/api/v1/reviews', remoteAddress: CLIENT })).statusCode, 429);
      assert.equal((await ctx.app.inject({ url: '/api/v1/movies', remoteAddress: OTHER_CLIENT })).statusCode, 200);
    });

    it('never limits /healthz, /readyz or loopback', async () => {
      const probes = [
        ...(await repeat(ctx, 5, { url: '/healthz', remoteAddress: '192.0.2.1' })),
        ...(await repeat(ctx, 5, { url: '/readyz', remoteAddress: '192.0.2.1' })),
        ...(await repeat(ctx, 5, { url: '/api/v1/movies', remoteAddress: '127.0.0.1' })),
        ...(await repeat(ctx, 5, { url: '/api/v1/movies', remoteAddress: '::1' })),
      ];
      assert.deepEqual(new Set(probes.map((r) => r.statusCode)), new Set([200]));
    });

    it('does not let X-Forwarded-For dodge the limit while TRUST_PROXY is off', async () => {
      const answers: number[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await ctx.app.inject({ url: '/api/v1/movies', remoteAddress: '192.0.2.50', headers: { 'x-forwarded-for': `10.1.0.${i}` } });
        answers.push(res.statusCode);
      }
      assert.deepEqual(answers, [200, 200, 200, 429]);
    });
  });

  describe('behind a trusted proxy', () => {
    let ctx: TestContext;
    const via = (client: string) => ({ url: '/api/v1/movies', remoteAddress: '10.0.0.1', headers: { 'x-forwarded-for': client } });
    before(async () => (ctx = await startApp({ RATE_LIMIT_MAX: '2', TRUST_PROXY: '10.0.0.1' })));
    after(() => ctx.close());

    it('counts the forwarded client address, so clients behind the proxy are limited apart', async () => {
      assert.deepEqual((await repeat(ctx, 3, via('203.0.113.20'))).map((r) => r.statusCode), [200, 200, 429]);
      assert.deepEqual((await repeat(ctx, 2, via('203.0.113.21'))).map((r) => r.statusCode), [200, 200]);
      // A client cannot pick its own address by prepending one: the proxy's hop decides.
      const spoof = await ctx.app.inject({ ...via('198.51.100.1, 203.0.113.20') });
      assert.equal(spoof.statusCode, 429);
    });

    it('grants no loopback exemption to a client that forwards itself as 127.0.0.1', async () => {
      const local = via('127.0.0.1');
      assert.deepEqual((await repeat(ctx, 3, local)).map((r) => r.statusCode), [200, 200, 429]);
    });
  });

  describe('with every proxy trusted (TRUST_PROXY=on)', () => {
    let ctx: TestContext;
    before(async () => (ctx = await startApp({ RATE_LIMIT_MAX: '2', TRUST_PROXY: 'on' })));
    after(() => ctx.close());

    it('still limits a remote client whose X-Forwarded-For claims to be this machine', async () => {
      const claim = { url: '/api/v1/movies', remoteAddress: '198.51.100.7', headers: { 'x-forwarded-for': '127.0.0.1' } };
      assert.deepEqual((await repeat(ctx, 3, claim)).map((r) => r.statusCode), [200, 200, 429]);
    });
  });

  describe('on the login routes', () => {
    let ctx: TestContext;
    before(async () => {
      ctx = await startApp({ AUTH_RATE_LIMIT_MAX: '2' });
      await register(ctx.app, 'alice');
    });
    after(() => ctx.close());

    it('answers 429 past AUTH_RATE_LIMIT_MAX per address and minute over all login routes, even for the right password', async () => {
      const login = { method: 'POST' as const, url: '/auth', remoteAddress: CLIENT, payload: { username: 'alice', password: PASSWORD } };
      const answers = await repeat(ctx, 3, login);
      assert.deepEqual(answers.map((r) => r.statusCode), [200, 200, 429]);
      assertTooMany(answers[2]!);
      assert.equal(answers[2]!.headers['ratelimit-limit'], '2');
      // One bucket for every login route: another URL for the same door gets no fresh allowance.
      for (const url of ['/api/v1/auth', '/api/v1/users/login']) {
        const other = await ctx.app.inject({ ...login, url });
        assert.equal(other.statusCode, 429, url);
        assertTooMany(other);
      }
      // Only the login routes are this tight.
      assert.equal((await ctx.app.inject({ url: '/api/v1/movies', remoteAddress: CLIENT })).statusCode, 200);
      assert.equal((await ctx.app.inject({ ...login, remoteAddress: OTHER_CLIENT })).statusCode, 200);
    });
  });

  it('leaves the login routes under the global limit when AUTH_RATE_LIMIT_MAX is 0', async () => {
    const ctx = await startApp({ RATE_LIMIT_MAX: '2', AUTH_RATE_LIMIT_MAX: '0' });
    try {
      await register(ctx.app, 'carol');
      const login = { method: 'POST' as const, url: '/auth', remoteAddress: CLIENT, payload: { username: 'carol', password: PASSWORD } };
      assert.deepEqual((await repeat(ctx, 3, login)).map((r) => r.statusCode), [200, 200, 429]);
    } finally {
      await ctx.close();
    }
  });

  it('turns off with 0', async () => {
    const ctx = await startApp({ RATE_LIMIT_MAX: '0', AUTH_RATE_LIMIT_MAX: '0' });
    try {
      await register(ctx.app, 'bob');
      const answers = [
        ...(await repeat(ctx, 30, { url: '/api/v1/movies', remoteAddress: CLIENT })),
        ...(await repeat(ctx, 25, { method: 'POST', url: '/auth', remoteAddress: CLIENT, payload: { username: 'bob', password: PASSWORD } })),
      ];
      assert.deepEqual(new Set(answers.map((r) => r.statusCode)), new Set([200]));
    } finally {
      await ctx.close();
    }
  });
});

describe('request body limits', () => {
  let ctx: TestContext;
  before(async () => (ctx = await startApp()));
  after(() => ctx.close());

  const post = (payload: string) =>
    ctx.app.inject({ method: 'POST', url: '/api/v1/users', headers: { 'content-type': 'application/json' }, payload });

  it('refuses JSON nested deeper than 32 levels with 400 and a clear detail', async () => {
    const res = await post(`${'['.repeat(33)}${']'.repeat(33)}`);
    assert.equal(res.statusCode, 400);
    assert.deepEqual(res.json(), { detail: 'Request body nests arrays or objects deeper than 32 levels', code: 'body_too_deep', ctx: { max_depth: 32 } });
    const objects = await post(`{"username":${'{"a":'.repeat(40)}1${'}'.repeat(40)}}`);
    assert.equal(objects.statusCode, 400);
  });

  it('takes 32 levels, and brackets inside strings do not count', async () => {
    assert.equal((await post(`${'['.repeat(32)}${']'.repeat(32)}`)).statusCode, 422);
    const res = await post(JSON.stringify({ username: 'brackets', password: `${'[{'.repeat(40)}"\\` }));
    assert.equal(res.statusCode, 201, res.body);
  });

  it('keeps the parser’s other refusals: prototype poisoning, invalid and empty JSON', async () => {
    const poisoned = await post('{"username":"eve","password":"correct-horse-battery","__proto__":{"role":"admin"}}');
    assert.equal(poisoned.statusCode, 400);
    // Valid JSON with a refused key is told apart from a syntax error.
    assert.equal(poisoned.json<{ code: string }>().code, 'body_forbidden_key');
    const constructed = await post('{"username":"eve","password":"correct-horse-battery","constructor":{"prototype":{"role":"admin"}}}');
    assert.equal(constructed.json<{ code: string }>().code, 'body_forbidden_key');
    assert.deepEqual((await post('{"username": ')).json(), { detail: 'Request body is not valid JSON', code: 'body_not_json' });
    assert.equal((await post('')).statusCode, 400);
  });

  it('refuses a JSON body that is not UTF-8 (400), rather than storing U+FFFD in its place', async () => {
    const latin1 = Buffer.concat([Buffer.from('{"username":"caf'), Buffer.from([0xe9]), Buffer.from('","password":"correct-horse-battery"}')]);
    const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/users', headers: { 'content-type': 'application/json' }, payload: latin1 });
    assert.equal(res.statusCode, 400);
    assert.deepEqual(res.json(), { detail: 'Request body is not valid UTF-8, which JSON must be', code: 'body_not_utf8' });
    const utf8 = await post(JSON.stringify({ username: 'cafe_ok', password: 'correct-horse-battery', extra: 'café ☕' }));
    assert.equal(utf8.statusCode, 201, utf8.body);
  });

  it('applies to JSON at /auth too (its own scope)', async () => {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/auth',
      headers: { 'content-type': 'application/json' },
      payload: `{"username":${'['.repeat(40)}${']'.repeat(40)}}`,
    });
    assert.equal(res.statusCode, 400);
  });

  it('counts depth in one pass', () => {
    assert.equal(nestsDeeperThan('[[]]', 2), false);
    assert.equal(nestsDeeperThan('[[[]]]', 2), true);
    assert.equal(nestsDeeperThan('["[[[[", "\\"[[[["]', 1), false);
    assert.equal(nestsDeeperThan('{"a":{"b":[1]}}', 3), false);
  });
});

// ---------------------------------------------------------------------------------------------
// The server's own limits, over real loopback connections

interface RawAnswer {
  /** Everything the server sent before it closed the connection (or before the test gave up). */
  text: string;
  closed: boolean;
  ms: number;
}

/**
 * Opens a raw connection, sends `head` in pieces every `everyMs` (never finishing unless the
 * pieces do), and collects what comes back until the server closes or `limitMs` passes.
 */
function rawExchange(port: number, pieces: string[], everyMs: number, limitMs: number, overTls = false): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = overTls
      ? tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] })
      : netConnect({ host: '127.0.0.1', port });
    let text = '';
    let timer: NodeJS.Timeout | undefined;
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ text, closed, ms: Date.now() - started });
    };
    const giveUp = setTimeout(() => finish(false), limitMs);
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    let i = 0;
    const sendNext = () => {
      if (i >= pieces.length || socket.destroyed) return;
      socket.write(pieces[i++]!);
      timer = setTimeout(sendNext, everyMs);
    };
    socket.on(overTls ? 'secureConnect' : 'connect', sendNext);
  });
}

const SLOW_HEAD = ['GET /api/v1/movies HTTP/1.1\r\nHost: localhost\r\n', ...Array.from({ length: 30 }, (_, i) => `X-Slow-${i}: 1\r\n`)];
const BIG_HEAD = `GET /api/v1/movies HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(10_000)}\r\n\r\n`;

describe('server limits', () => {
  let ctx: TestContext;
  let port: number;
  before(async () => {
    ctx = await startApp({ HEADERS_TIMEOUT: '1', MAX_HEADER_SIZE: '8192', IDLE_TIMEOUT: '5', KEEP_ALIVE_TIMEOUT: '3' });
    port = await listenOnLoopback(ctx);
  });
  after(() => ctx.close());

  it('sets the timeouts explicitly, with no total request timeout (long uploads)', () => {
    const server = ctx.app.server;
    assert.equal(server.headersTimeout, 1000);
    assert.equal(server.requestTimeout, 0);
    assert.equal(server.keepAliveTimeout, 3000);
    assert.equal(server.timeout, 5000);
    assert.equal((server as unknown as { maxHeaderSize: number }).maxHeaderSize, 8192);
  });

  it('has defaults: 15 s for the head, 60 s idle, 72 s keep-alive, 16 KiB of headers', () => {
    const config = loadConfig({});
    assert.deepEqual(
      [config.headersTimeout, config.idleTimeout, config.keepAliveTimeout, config.maxHeaderSize, config.rateLimitMax, config.rateLimitWindow, config.authRateLimitMax],
      [15, 60, 72, 16384, 600, 60, 20],
    );
  });

  it('cuts off a client that sends its headers too slowly (slow loris)', { timeout: 10_000 }, async () => {
    // One header line every 300 ms, forever: only headersTimeout (1 s here) stops it.
    const answer = await rawExchange(port, SLOW_HEAD, 300, 6000);
    assert.ok(answer.closed, `still open after ${answer.ms} ms`);
    assert.ok(answer.ms < 4000, `closed only after ${answer.ms} ms`);
    assert.match(answer.text, /^HTTP\/1\.1 408 /);
  });

  it('answers 431 to a request head over MAX_HEADER_SIZE', { timeout: 10_000 }, async () => {
    const answer = await rawExchange(port, [BIG_HEAD], 10, 5000);
    assert.match(answer.text, /^HTTP\/1\.1 431 /);
    // A head under the limit is served.
    const fine = await rawExchange(port, [`GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Ok: ${'a'.repeat(4000)}\r\nConnection: close\r\n\r\n`], 10, 5000);
    assert.match(fine.text, /^HTTP\/1\.1 200 /);
  });
});

describe('server limits under HTTPS (HTTP/1.1 fallback of the HTTP/2 server)', () => {
  let served: TlsApp;
  let port: number;
  let ctx: TestContext;
  before(async () => {
    served = await startTlsApp({ HEADERS_TIMEOUT: '1', MAX_HEADER_SIZE: '8192' });
    ({ port, ctx } = served);
  });
  after(() => served.close());

  it('keeps the same head timeout, header size and no total request timeout', { timeout: 10_000 }, async () => {
    const server = ctx.app.server as unknown as Record<string, unknown>;
    assert.equal(server.requestTimeout, 0, 'Node would cut any HTTP/1.1 request after 5 minutes');
    const slow = await rawExchange(port, SLOW_HEAD, 300, 6000, true);
    assert.ok(slow.closed && slow.ms < 4000, `slow head: closed ${slow.closed} after ${slow.ms} ms`);
    assert.match(slow.text, /^HTTP\/1\.1 408 /);
    assert.match((await rawExchange(port, [BIG_HEAD], 10, 5000, true)).text, /^HTTP\/1\.1 431 /);
  });
});

describe('HTTP/2 limits', () => {
  let served: TlsApp;
  const log = memoryLogger();
  before(async () => {
    served = await startTlsApp({}, { logger: log.logger });
  });
  after(() => served.close());

  it('announces SETTINGS_MAX_CONCURRENT_STREAMS of 100 and refuses the streams past it', async () => {
    const session = await h2Connect(served.port, served.ca);
    try {
      assert.equal(session.remoteSettings.maxConcurrentStreams, 100);
    } finally {
      session.close();
    }
    // A client that ignores the setting and opens 150 at once: 100 served, 50 REFUSED_STREAM.
    const burst = await h2Burst(served.port, 150, '/healthz');
    assert.deepEqual(burst, { answered: 100, reset: { [http2.constants.NGHTTP2_REFUSED_STREAM]: 50 } });
  });

  it('answers 431 {"detail"} to headers over MAX_HEADER_SIZE, as HTTP/1.1 does, and serves the connection on', async () => {
    const session = await h2Connect(served.port, served.ca);
    try {
      const big = await h2Exchange(session, { ':path': '/api/v1/movies', 'x-big': 'a'.repeat(60 * 1024) });
      assert.equal(big.status, 431, big.body);
      assert.deepEqual(JSON.parse(big.body), { detail: 'Request line and headers are larger than the limit of 16384 bytes', code: 'header_too_large', ctx: { limit: 16384 } });
      assert.match(String(big.headers['x-request-id']), /^[0-9a-f-]{36}$/);
      assert.equal(big.headers['x-content-type-options'], 'nosniff');
      assert.equal(big.headers['strict-transport-security'], HSTS);
      // Many fields that add up past the limit count too, not only one large one.
      const many = await h2Exchange(session, { ':path': '/healthz', ...Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`x-f${i}`, 'b'.repeat(500)])) });
      assert.equal(many.status, 431, many.body);
      // Under the limit, on the same connection: served.
      const fine = await h2Exchange(session, { ':path': '/healthz', 'x-ok': 'a'.repeat(12 * 1024) });
      assert.equal(fine.status, 200, fine.body);
      // The same head over HTTP/1.1 (TLS) gets the same status.
      const h1 = await h1Request(served.port, { ca: served.ca, path: '/api/v1/movies', headers: { 'x-big': 'a'.repeat(60 * 1024) } }).catch((err: Error) => err);
      assert.ok(!(h1 instanceof Error), `HTTP/1.1: ${String(h1)}`);
      assert.equal(h1.status, 431);
    } finally {
      session.close();
    }
  });

  it('writes the client address and port in the access-log line of an HTTP/2 request', async () => {
    const session = await h2Connect(served.port, served.ca);
    let localPort: number | undefined;
    try {
      localPort = session.socket.localPort;
      assert.equal((await h2Exchange(session, { ':path': '/healthz?logged=h2' })).status, 200);
    } finally {
      session.close();
    }
    const line = (): LogLine | undefined => log.lines().find((l) => (l.req as { url?: string } | undefined)?.url === '/healthz?logged=h2');
    await waitUntil(() => line() !== undefined, 'the access-log line');
    const req = line()!.req as Record<string, unknown>;
    assert.equal(req.remoteAddress, '127.0.0.1', JSON.stringify(line()));
    assert.equal(req.remotePort, localPort);
    assert.equal(line()!.msg, 'request completed');
  });
});
