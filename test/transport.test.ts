import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { type Socket, connect as netConnect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { LINGER_IDLE_MS, LINGER_MAX_BYTES } from '../src/http/lingering-close.js';
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
} from './support/app.js';
import { type TlsApp, h2Connect, h2RawUpload, startTlsApp } from './support/tls.js';

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

/**
 * What a client that writes its whole request before reading (Python `requests`, most SDKs) sees:
 * the head and all of `body` go out first — on a paused socket, so nothing is read meanwhile —
 * then the answer is read to the end. A reset or broken pipe on the way is the result, not a failure.
 */
async function writeAllThenRead(port: number, tls: boolean, head: string, body: Buffer): Promise<{ status: number; body: string } | { error: string }> {
  let socket: Socket;
  try {
    socket = (await open(port, tls ? 'h1' : false)).stream;
  } catch (err) {
    return { error: (err as NodeJS.ErrnoException).code ?? String(err) };
  }
  return new Promise((resolve) => {
    let text = '';
    let settled = false;
    const finish = (result: { status: number; body: string } | { error: string }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ error: `no answer within ${WAIT_MS} ms` }), WAIT_MS);
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('error', (err: NodeJS.ErrnoException) => finish({ error: err.code ?? err.message }));
    socket.on('close', () => {
      const match = /^HTTP\/1\.1 (\d{3}) [^\r\n]*\r\n[\s\S]*?\r\n\r\n([\s\S]*)$/.exec(text);
      finish(match ? { status: Number(match[1]), body: match[2]! } : { error: `closed after ${JSON.stringify(text.slice(0, 40))}` });
    });
    socket.pause();
    socket.write(head);
    socket.write(body, (err) => {
      if (err) finish({ error: (err as NodeJS.ErrnoException).code ?? err.message });
      else socket.resume();
    });
  });
}

/** Sizes from 0.1 to 5 MB, spread evenly but in random order (a fixed seed would miss nothing here). */
function bodySizes(count: number): number[] {
  return Array.from({ length: count }, (_, i) => Math.round(100_000 + ((i + Math.random()) / count) * 4_900_000)).sort(() => Math.random() - 0.5);
}

describe('answers sent before the body is read (lingering close)', () => {
  const TRIES = 60;
  let plain: TestContext;
  let plainPort: number;
  let tls: TlsApp;
  const admins = new Map<TestContext, string>();
  // Poster limit far under the bodies sent, so that each upload is refused from its Content-Length.
  const env = { POSTER_MAX_BYTES: '65536' };

  before(async () => {
    plain = await startApp(env);
    plainPort = await listenOnLoopback(plain);
    tls = await startTlsApp(env);
    for (const ctx of [plain, tls.ctx]) {
      const admin = await adminToken(ctx);
      await createMovie(ctx.app, admin, { title: 'Big poster' });
      admins.set(ctx, admin);
    }
  });
  after(async () => {
    await plain.close();
    await tls.close();
  });

  it(`over HTTP/2: a client that writes 0.1–5 MB gets its 413 and may send it all, no RST_STREAM meanwhile`, { timeout: 300_000 }, async () => {
    const outcomes: string[] = [];
    // Half as many as over HTTP/1.1: each is exact at the frame level, and the suite shares two cores.
    for (const [i, size] of bodySizes(TRIES / 2).entries()) {
      const [method, path, headers] =
        i % 2 === 0
          ? ['POST', '/api/v1/users', { 'content-type': 'application/json' }]
          : ['PUT', '/api/v1/movies/1/poster', { authorization: `Bearer ${admins.get(tls.ctx)}`, 'content-type': 'image/jpeg' }];
      const got = await h2RawUpload(tls.port, method, path, headers, Buffer.alloc(size, 0x20));
      const detail = /limit/.test(String((JSON.parse(got.body || '{}') as { detail?: unknown }).detail));
      outcomes.push(detail && got.bodySent && got.reset === undefined ? '413' : `${size} bytes: ${JSON.stringify(got)}`);
    }
    assert.deepEqual(outcomes.filter((o) => o !== '413'), []);
  });

  /** Resolves once the plain app has no connection left; how long that took. */
  async function connectionsGone(started: number): Promise<number> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const open = await new Promise<number>((resolve, reject) => plain.app.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
      if (open === 0) return Date.now() - started;
      if (Date.now() > deadline) throw new Error(`${open} connections still open after ${WAIT_MS} ms`);
      await wait(20);
    }
  }

  it(`stops waiting for a client that goes silent mid-body after ${LINGER_IDLE_MS / 1000} s`, { timeout: 30_000 }, async () => {
    // Half-open allowed, as some clients do: our FIN alone does not end the connection.
    const socket = netConnect({ host: '127.0.0.1', port: plainPort, allowHalfOpen: true });
    socket.on('error', () => {});
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    const ended = new Promise<void>((resolve) => socket.once('end', resolve));
    socket.write(`POST /api/v1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n${' '.repeat(100_000)}`);
    await ended;
    const answeredAt = Date.now();
    assert.match(text, /^HTTP\/1\.1 413 /);
    const took = await connectionsGone(answeredAt);
    socket.destroy();
    assert.ok(took >= LINGER_IDLE_MS - 200 && took <= LINGER_IDLE_MS + 1500, `closed ${took} ms after the answer`);
  });

  it(`over HTTP/2 too: a stream whose client goes silent mid-body is closed ${LINGER_IDLE_MS / 1000} s after its answer, with NO_ERROR`, { timeout: 30_000 }, async () => {
    const session = await h2Connect(tls.port, tls.ca);
    try {
      const stream = session.request({ ':method': 'POST', ':path': '/api/v1/users', 'content-type': 'application/json', 'content-length': '1000000' });
      stream.on('error', () => {});
      stream.on('data', () => {});
      stream.write(Buffer.alloc(100_000, 0x20));
      const status = await new Promise<number>((resolve) => stream.once('response', (headers) => resolve(Number(headers[':status']))));
      const answeredAt = Date.now();
      assert.equal(status, 413);
      await new Promise<void>((resolve) => stream.once('close', resolve));
      const took = Date.now() - answeredAt;
      assert.equal(stream.rstCode, http2.constants.NGHTTP2_NO_ERROR);
      assert.ok(took >= LINGER_IDLE_MS - 200 && took <= LINGER_IDLE_MS + 1500, `closed ${took} ms after the answer`);
    } finally {
      session.close();
    }
  });

  it(`does not wait for a declared body whose rest is over ${LINGER_MAX_BYTES / 1024 / 1024} MiB`, async () => {
    const socket = netConnect({ host: '127.0.0.1', port: plainPort, allowHalfOpen: true });
    socket.on('error', () => {});
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    const ended = new Promise<void>((resolve) => socket.once('end', resolve));
    socket.write(`POST /api/v1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${LINGER_MAX_BYTES + 1_000_000}\r\n\r\n`);
    await ended;
    assert.match(text, /^HTTP\/1\.1 413 /);
    const took = await connectionsGone(Date.now());
    socket.destroy();
    assert.ok(took < 1000, `closed only ${took} ms after the answer`);
  });

  it(`throws away at most about ${LINGER_MAX_BYTES / 1024 / 1024} MiB of a body of unknown length`, { timeout: 60_000 }, async () => {
    // Half-open allowed, as Python's sockets are: the server's early FIN does not stop the sending.
    const socket = netConnect({ host: '127.0.0.1', port: plainPort, allowHalfOpen: true });
    socket.on('data', () => {});
    const failed = new Promise<string>((resolve) => socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message)));
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write('POST /api/v1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
    const chunk = Buffer.concat([Buffer.from(`${(1024 * 1024).toString(16)}\r\n`), Buffer.alloc(1024 * 1024, 0x20), Buffer.from('\r\n')]);
    const LIMIT = 4 * LINGER_MAX_BYTES;
    let sent = 0;
    let error: string | undefined;
    void failed.then((code) => (error = code));
    while (error === undefined && !socket.destroyed && sent < LIMIT) {
      if (!socket.write(chunk)) await new Promise<void>((resolve) => {
        const go = (): void => {
          socket.off('drain', go);
          socket.off('close', go);
          resolve();
        };
        socket.on('drain', go);
        socket.on('close', go);
      });
      sent += chunk.length;
    }
    socket.destroy();
    assert.ok(error !== undefined, `the server read all ${sent} bytes`);
    assert.ok(sent > LINGER_MAX_BYTES, `cut after ${sent} bytes, before the bound`);
  });

  for (const overTls of [false, true]) {
    it(`over ${overTls ? 'HTTP/1.1 on TLS' : 'plain HTTP/1.1'}: a client that writes 0.1–5 MB before reading gets its 413, ${TRIES} times of ${TRIES}`, { timeout: 300_000 }, async () => {
      const ctx = overTls ? tls.ctx : plain;
      const port = overTls ? tls.port : plainPort;
      const outcomes: string[] = [];
      for (const [i, size] of bodySizes(TRIES).entries()) {
        // A JSON body over BODY_LIMIT, and a poster over POSTER_MAX_BYTES, in turn.
        const head =
          i % 2 === 0
            ? `POST /api/v1/users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\n\r\n`
            : `PUT /api/v1/movies/1/poster HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${admins.get(ctx)}\r\nContent-Type: image/jpeg\r\nContent-Length: ${size}\r\n\r\n`;
        const got = await writeAllThenRead(port, overTls, head, Buffer.alloc(size, i % 2 === 0 ? 0x20 : 0xff));
        outcomes.push('error' in got ? `${size} bytes: ${got.error}` : got.status === 413 && JSON.parse(got.body).detail ? '413' : `${size} bytes: ${got.status} ${got.body}`);
      }
      assert.deepEqual(
        outcomes.filter((o) => o !== '413'),
        [],
        `${outcomes.filter((o) => o !== '413').length} of ${TRIES} tries did not get their 413`,
      );
    });
  }
});

/**
 * Sends `pieces` one every `everyMs` on a fresh connection (plain or TLS) and reads until the
 * server closes it: all that came back, and whether it did close within WAIT_MS.
 */
async function exchange(port: number, tls: boolean, pieces: (string | Buffer)[], everyMs = 0): Promise<{ text: string; closed: boolean }> {
  const { stream } = await open(port, tls ? 'h1' : false);
  return new Promise((resolve) => {
    let text = '';
    let timer: NodeJS.Timeout | undefined;
    const giveUp = setTimeout(() => finish(false), WAIT_MS);
    const finish = (closed: boolean): void => {
      clearTimeout(giveUp);
      clearTimeout(timer);
      stream.destroy();
      resolve({ text, closed });
    };
    stream.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    stream.on('end', () => finish(true));
    stream.on('close', () => finish(true));
    let i = 0;
    const next = (): void => {
      if (i >= pieces.length || stream.destroyed) return;
      stream.write(pieces[i++]!);
      timer = setTimeout(next, everyMs);
    };
    next();
  });
}

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function parseAnswer(text: string): RawAnswer {
  const split = text.indexOf('\r\n\r\n');
  assert.ok(split > 0, `not an HTTP answer: ${JSON.stringify(text.slice(0, 80))}`);
  const [statusLine, ...lines] = text.slice(0, split).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    assert.equal(headers[name], undefined, `${name} twice`);
    headers[name] = line.slice(colon + 1).trim();
  }
  return { status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine!)?.[1]), headers, body: text.slice(split + 4) };
}

describe('requests Node cannot parse, over plain HTTP/1.1 and TLS', () => {
  // 1 s for the head and 8 KiB of it, so that the slow and the large cases are quick to make.
  const env = { HEADERS_TIMEOUT: '1', MAX_HEADER_SIZE: '8192' };
  let plain: TestContext;
  let plainPort: number;
  let tls: TlsApp;

  before(async () => {
    plain = await startApp(env);
    plainPort = await listenOnLoopback(plain);
    tls = await startTlsApp(env);
  });
  after(async () => {
    await plain.close();
    await tls.close();
  });

  const HOST = 'Host: 127.0.0.1\r\n';
  const cases: { what: string; pieces: string[]; everyMs?: number; status: number; detail: RegExp; byFastify?: boolean }[] = [
    { what: 'a control byte in a header value', pieces: [`GET /healthz HTTP/1.1\r\n${HOST}X-Bad: a\u0001b\r\n\r\n`], status: 400, detail: /^Malformed HTTP request: Invalid header value char$/ },
    { what: 'a malformed request line', pieces: ['GET /healthz HTTP/1.1 extra\r\n\r\n'], status: 400, detail: /^Malformed HTTP request: / },
    { what: 'no request line at all', pieces: ['\u0016\u0003\u0001 hello\r\n\r\n'], status: 400, detail: /^Malformed HTTP request: / },
    { what: 'a body with both Content-Length and chunked', pieces: [`POST /api/v1/users HTTP/1.1\r\n${HOST}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n`], status: 400, detail: /^Malformed HTTP request: / },
    { what: 'a head over MAX_HEADER_SIZE', pieces: [`GET /healthz HTTP/1.1\r\n${HOST}X-Big: ${'a'.repeat(10_000)}\r\n\r\n`], status: 431, detail: /^Request line and headers are larger than the limit of 8192 bytes$/ },
    {
      what: 'a head slower than HEADERS_TIMEOUT',
      pieces: [`GET /healthz HTTP/1.1\r\n${HOST}`, ...Array.from({ length: 20 }, (_, i) => `X-Slow-${i}: 1\r\n`)],
      everyMs: 300,
      status: 408,
      detail: /^The request line and headers did not arrive within 1 seconds$/,
    },
    { what: 'an HTTP/1.1 request without Host', pieces: ['GET /healthz HTTP/1.1\r\n\r\n'], status: 400, detail: /^Missing Host header/, byFastify: true },
    // Well-formed HTTP, so the connection could go on; this client asks for it to close.
    { what: 'a URL that does not decode', pieces: [`GET /api/v1/movies/%E0%A4%A HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`], status: 400, detail: /^Malformed URL/, byFastify: true },
  ];

  for (const overTls of [false, true]) {
    it(`over ${overTls ? 'TLS' : 'plain HTTP'}: a refused head with a body behind it, written whole before reading, still gets its answer`, { timeout: 120_000 }, async () => {
      const port = overTls ? tls.port : plainPort;
      const outcomes: string[] = [];
      for (const [i, size] of bodySizes(10).entries()) {
        const head =
          i % 2 === 0
            ? `POST /api/v1/users HTTP/1.1\r\n${HOST}X-Big: ${'a'.repeat(10_000)}\r\nContent-Length: ${size}\r\n\r\n`
            : `POST /api/v1/users HTTP/1.1\r\n${HOST}X-Bad: a\u0001b\r\nContent-Length: ${size}\r\n\r\n`;
        const got = await writeAllThenRead(port, overTls, head, Buffer.alloc(size, 0x20));
        const expected = i % 2 === 0 ? 431 : 400;
        outcomes.push('error' in got ? `${size} bytes: ${got.error}` : got.status === expected ? 'ok' : `${size} bytes: ${got.status}`);
      }
      assert.deepEqual(outcomes.filter((o) => o !== 'ok'), []);
    });

    it(`over ${overTls ? 'TLS' : 'plain HTTP'}: {"detail"}, a request id, the security headers${overTls ? ', HSTS' : ''} and Connection: close`, { timeout: 60_000 }, async () => {
      const port = overTls ? tls.port : plainPort;
      // The security headers of an ordinary answer of the same server, to compare with.
      const ordinary = parseAnswer((await exchange(port, overTls, [`GET /healthz HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`])).text);
      assert.equal(ordinary.status, 200);
      const security = Object.entries(ordinary.headers).filter(([name]) =>
        /^(content-security-policy|cross-origin-|origin-agent-cluster|referrer-policy|x-content-type-options|x-dns-prefetch-control|x-download-options|x-frame-options|x-permitted-cross-domain-policies|x-xss-protection|strict-transport-security)/.test(name),
      );
      assert.ok(security.length >= 10, `few security headers on an ordinary answer: ${JSON.stringify(ordinary.headers)}`);
      for (const c of cases) {
        const { text, closed } = await exchange(port, overTls, c.pieces, c.everyMs);
        const answer = parseAnswer(text);
        const what = `${c.what}: ${text.slice(0, 300)}`;
        assert.equal(answer.status, c.status, what);
        // Exactly application/json on the answers written here; Fastify's own add a charset for now.
        if (c.byFastify) assert.match(answer.headers['content-type'] ?? '', /^application\/json(; charset=utf-8)?$/, what);
        else assert.equal(answer.headers['content-type'], 'application/json', what);
        const body = JSON.parse(answer.body) as Record<string, unknown>;
        // The API's error answer: the English detail, the code, and the values in its text.
        assert.deepEqual(Object.keys(body).filter((k) => k !== 'ctx'), ['detail', 'code'], what);
        assert.match(String(body.detail), c.detail, what);
        assert.equal(Number(answer.headers['content-length']), Buffer.byteLength(answer.body), what);
        assert.match(answer.headers['x-request-id'] ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, what);
        assert.equal(answer.headers.connection?.toLowerCase(), 'close', what);
        for (const [name, value] of security) assert.equal(answer.headers[name], value, `${name} on ${what}`);
        assert.equal(answer.headers['strict-transport-security'] !== undefined, overTls, `HSTS on ${what}`);
        assert.ok(closed, `${c.what}: the connection stayed open`);
      }
    });
  }
});
