import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { type Socket, connect as netConnect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import {
  type TestContext,
  adminToken,
  createMovie,
  listenOnLoopback,
  mediaFixture,
  memoryLogger,
  multipartBody,
  startApp,
  uploadMedia,
  userToken,
} from './helpers.js';
import { type TlsApp, startTlsApp } from './tls-helpers.js';

/*
 * The HTTP transport under clients that misbehave at the connection level: resets, bodies
 * written whole before reading, malformed heads. Real sockets on loopback throughout.
 */

const WAIT_MS = 10_000;

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A TCP connection, or TLS over one, to 127.0.0.1:port; `tcp` is the TCP socket underneath either way. */
async function open(port: number, tls: 'h1' | 'h2' | false): Promise<{ tcp: Socket; stream: Socket }> {
  const tcp = netConnect({ host: '127.0.0.1', port });
  tcp.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    tcp.once('connect', resolve);
    tcp.once('error', reject);
  });
  if (!tls) return { tcp, stream: tcp };
  const secure = tlsConnect({ socket: tcp, rejectUnauthorized: false, ALPNProtocols: [tls === 'h2' ? 'h2' : 'http/1.1'] });
  secure.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    secure.once('secureConnect', resolve);
    secure.once('error', reject);
  });
  return { tcp, stream: secure };
}

interface Sent {
  method: string;
  path: string;
  headers?: Record<string, string>;
  /** The whole body the request announces with Content-Length; only `sendBytes` of it go out. */
  body?: Buffer;
  sendBytes?: number;
}

/**
 * Sends a request over HTTP/1.1 (plain or TLS) — the head and `sendBytes` of the body — then,
 * once the server has had a moment to start on it, resets the TCP connection (RST, not FIN).
 */
async function resetMidRequest(port: number, tls: boolean, sent: Sent, delayMs: number): Promise<void> {
  const { tcp, stream } = await open(port, tls ? 'h1' : false);
  const body = sent.body ?? Buffer.alloc(0);
  const headers = { host: `127.0.0.1:${port}`, ...(sent.body ? { 'content-length': String(body.length) } : {}), ...sent.headers };
  const head = `${sent.method} ${sent.path} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  await new Promise<void>((resolve) => stream.write(Buffer.concat([Buffer.from(head), body.subarray(0, sent.sendBytes ?? body.length)]), () => resolve()));
  if (delayMs > 0) await wait(delayMs);
  tcp.resetAndDestroy();
}

/** The same over HTTP/2: a stream with part of its body sent, then the TCP connection reset under the session. */
async function resetMidRequestH2(port: number, sent: Sent, delayMs: number): Promise<void> {
  const { tcp, stream: secure } = await open(port, 'h2');
  const session = http2.connect(`https://127.0.0.1:${port}`, { createConnection: () => secure });
  session.on('error', () => {});
  const body = sent.body ?? Buffer.alloc(0);
  const stream = session.request({
    ':method': sent.method,
    ':path': sent.path,
    ...(sent.body ? { 'content-length': String(body.length) } : {}),
    ...sent.headers,
  });
  stream.on('error', () => {});
  await new Promise<void>((resolve) => (sent.body ? stream.write(body.subarray(0, sent.sendBytes ?? body.length), () => resolve()) : stream.end(resolve)));
  if (delayMs > 0) await wait(delayMs);
  tcp.resetAndDestroy();
}

/** A request to reset mid-way, with the role whose bearer token it carries, if any. */
interface Case {
  what: string;
  sent: Sent;
  as?: 'admin' | 'user';
}

function cases(): Case[] {
  const poster = mediaFixture('poster.jpg');
  const trailer = mediaFixture('trailer.mp4');
  const form = multipartBody([{ name: 'file', filename: 'p.jpg', contentType: 'image/jpeg', data: poster }]);
  const json = { 'content-type': 'application/json' };
  return [
    { what: 'a page of movies', sent: { method: 'GET', path: '/api/v1/movies' } },
    { what: '/healthz', sent: { method: 'GET', path: '/healthz' } },
    { what: 'an unknown path', sent: { method: 'GET', path: '/api/v1/nothing-here' } },
    { what: 'a poster', sent: { method: 'GET', path: '/api/v1/movies/1/poster?w=320' } },
    { what: 'a missing trailer', sent: { method: 'GET', path: '/api/v1/movies/1/trailer' } },
    { what: 'a sign-up cut mid-body', sent: { method: 'POST', path: '/api/v1/users', headers: json, body: Buffer.from('{"username":"cut","password":"long-enough-pw"}'), sendBytes: 10 } },
    {
      what: 'a token request cut mid-body',
      sent: { method: 'POST', path: '/auth', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from('username=resetter&password=wrong-pass'), sendBytes: 12 },
    },
    { what: 'a review, whole', as: 'user', sent: { method: 'POST', path: '/api/v1/reviews', headers: json, body: Buffer.from('{"movie_id":1,"review":"Cut","score":3}') } },
    {
      what: 'a raw poster upload cut mid-body',
      as: 'admin',
      sent: { method: 'PUT', path: '/api/v1/movies/1/poster', headers: { 'content-type': 'image/jpeg' }, body: poster, sendBytes: Math.floor(poster.length / 2) },
    },
    {
      what: 'a multipart poster upload cut mid-body',
      as: 'admin',
      sent: { method: 'PUT', path: '/api/v1/movies/1/poster', headers: { 'content-type': form.contentType }, body: form.payload, sendBytes: Math.floor(form.payload.length / 2) },
    },
    {
      what: 'a trailer upload cut mid-body',
      as: 'admin',
      sent: { method: 'PUT', path: '/api/v1/movies/1/trailer', headers: { 'content-type': 'video/mp4' }, body: trailer, sendBytes: Math.floor(trailer.length / 2) },
    },
  ];
}

describe('clients that reset their connection', () => {
  const log = memoryLogger();
  let plain: TestContext;
  let plainPort: number;
  let tls: TlsApp;
  /** Each app's tokens, and its poster's versioned URL before the resets. */
  const apps = new Map<TestContext, { tokens: Record<'admin' | 'user', string>; posterUrl: string }>();

  before(async () => {
    plain = await startApp({}, { logger: log.logger });
    plainPort = await listenOnLoopback(plain);
    tls = await startTlsApp({}, { logger: log.logger });
    for (const ctx of [plain, tls.ctx]) {
      const admin = await adminToken(ctx);
      const movie = await createMovie(ctx.app, admin, { title: 'Reset' });
      assert.equal(movie.id, 1);
      const upload = await uploadMedia(ctx.app, movie.id, 'poster', mediaFixture('poster.jpg'), { token: admin });
      assert.equal(upload.statusCode, 201, upload.body);
      apps.set(ctx, { tokens: { admin, user: await userToken(ctx.app, 'resetter') }, posterUrl: upload.json<{ url: string }>().url });
    }
  });
  after(async () => {
    await plain.close();
    await tls.close();
  });

  /** Lines at error level or above, and access-log lines that count a 5xx. */
  function serverErrors(since: number): string[] {
    return log
      .lines()
      .slice(since)
      .filter((line) => line.level >= 50 || Number((line.res as { statusCode?: number } | undefined)?.statusCode) >= 500)
      .map((line) => `${line.msg} ${JSON.stringify(line.req ?? '')} ${JSON.stringify(line.err ?? '')}`.slice(0, 400));
  }

  async function settle(): Promise<void> {
    // The server notices a reset when it next reads or writes; its lines follow within moments.
    let count = -1;
    const deadline = Date.now() + WAIT_MS;
    while (count !== log.lines().length && Date.now() < deadline) {
      count = log.lines().length;
      await wait(300);
    }
  }

  for (const [name, reset] of [
    ['plain HTTP/1.1', (sent: Sent, delayMs: number) => resetMidRequest(plainPort, false, sent, delayMs)],
    ['HTTP/1.1 over TLS', (sent: Sent, delayMs: number) => resetMidRequest(tls.port, true, sent, delayMs)],
    ['HTTP/2', (sent: Sent, delayMs: number) => resetMidRequestH2(tls.port, sent, delayMs)],
  ] as const) {
    it(`over ${name}: no error-level line and no 5xx in the log, on any route; nothing half-stored`, async () => {
      const ctx = name === 'plain HTTP/1.1' ? plain : tls.ctx;
      const { tokens, posterUrl } = apps.get(ctx)!;
      const since = log.lines().length;
      for (const { sent, as } of cases()) {
        const withToken: Sent = as ? { ...sent, headers: { ...sent.headers, authorization: `Bearer ${tokens[as]}` } } : sent;
        // At once, and after the server has had a moment: the reset lands at different steps.
        for (const delayMs of [0, 0, 2, 10, 30]) await reset(withToken, delayMs);
      }
      await settle();
      assert.deepEqual(serverErrors(since), []);
      // The requests cut mid-body are accounted for as the client's leaving (499), never as answered.
      const lines = log.lines().slice(since);
      const cut = lines.filter((line) => (line.req as { method?: string } | undefined)?.method === 'PUT');
      assert.ok(cut.length > 0, 'no line for the cut uploads');
      for (const line of cut) assert.deepEqual([line.msg, (line.res as { statusCode?: number }).statusCode], ['client went away', 499], JSON.stringify(line));
      // And none of them stored anything: the poster is the one uploaded before, there is no trailer.
      const movie = (await ctx.app.inject('/api/v1/movies/1')).json<{ poster_url: string | null; trailer_url: string | null }>();
      assert.deepEqual([movie.poster_url, movie.trailer_url], [posterUrl, null]);
    });
  }
});
