import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { type IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance, FastifyServerOptions, LightMyRequestResponse } from 'fastify';
import type { TlsServerOptions } from '../../src/tls/options.js';
import { sql } from 'kysely';
import { buildApp } from '../../src/app.js';
import { hashPassword } from '../../src/security/passwords.js';
import { type Config, loadConfig } from '../../src/config.js';
import { type Db, openDatabase } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { insertUser } from '../../src/modules/users/index.js';
import { createSession } from '../../src/modules/auth/index.js';
import { createTestDatabase, testDatabaseKind } from './pg.js';
import { s3TestEnv, testMediaStoreKind } from './s3.js';
import { createStore } from '../../src/storage/index.js';
import { S3Store } from '../../src/storage/s3-store.js';
import type { MediaStore } from '../../src/storage/store.js';
import { dbProblems } from './processes.js';
import { DRIFT_SQL } from './recount.js';
import { type Exchange, type OpenApiDocument, contractError, contractProblems, recordExchanges } from './contract.js';
import { Writable } from 'node:stream';
import { loggerOptions } from '../../src/app.js';

/**
 * A stand-in for the built web client (dist/web), so the tests neither need a build nor see one
 * that is being rewritten by a build running beside them.
 */
export const WEB_FIXTURE = path.join(import.meta.dirname, '..', 'fixtures', 'web');

export interface TestContext {
  app: FastifyInstance;
  db: Db;
  config: Config;
  /** Every response the app sent, checked against its OpenAPI document by close() (test/contract.ts). */
  exchanges?: Exchange[] | undefined;
  /** Closes the app, then fails if a response it sent is not what its OpenAPI document says. */
  close: () => Promise<void>;
}

/**
 * A real app on a fresh database, migrated as `serve` does: a SQLite file in a temporary
 * directory, or with TEST_DATABASE=postgres a new PostgreSQL database (dropped by close()). Media
 * go to the temporary directory, or with TEST_MEDIA_STORE=s3 to a prefix of their own on the test
 * S3 server (see test/s3.ts). `env` takes the same variables as the server (e.g.
 * LOGIN_MAX_FAILURES).
 */
export async function startApp(env: Record<string, string> = {}, options: AppOnOptions = {}): Promise<TestContext> {
  const dir = mkdtempSync(path.join(tmpdir(), 'butaca-test-'));
  const pgDb = testDatabaseKind() === 'postgres' && env.DATABASE_URL === undefined ? await createTestDatabase() : undefined;
  let ctx: TestContext;
  try {
    const s3Env = testMediaStoreKind() === 's3' && env.MEDIA_STORE === undefined ? await s3TestEnv() : {};
    ctx = await appOn(dir, { ...s3Env, ...(pgDb ? { DATABASE_URL: pgDb.url } : {}), ...env }, options);
  } catch (err) {
    await pgDb?.drop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    ...ctx,
    close: async () => {
      try {
        await ctx.close();
      } finally {
        await pgDb?.drop();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** A real app over the database and media under `dataDir`, migrated and built as `serve` does. */
export interface AppOnOptions {
  /** Sees the SQL of every query the app runs. */
  onQuery?: (sql: string) => void;
  /**
   * Check every response against the OpenAPI document when the app is closed (test/contract.ts).
   * On unless a test turns it off, so each behaviour test also tests the document.
   */
  contract?: boolean;
  /** The app's logger (default none): a test that reads the log passes one writing to its own stream. */
  logger?: FastifyServerOptions['logger'];
  /** HTTPS with HTTP/2, as `serve` builds it from a certificate (src/tls/options.ts). */
  server?: TlsServerOptions;
  /** The built web client to serve; by default the stand-in of test/fixtures/web, so no test needs a build. */
  webRoot?: string;
}

export async function appOn(dataDir: string, env: Record<string, string> = {}, options: AppOnOptions = {}): Promise<TestContext> {
  const config = { ...loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...env }), webRoot: options.webRoot ?? WEB_FIXTURE };
  const { onQuery } = options;
  // The test owns the database and the store, as the server does: it opens them and closes them after the app.
  const database = openDatabase(config.database, onQuery ? { log: (event) => void (event.level === 'query' && onQuery(event.query.sql)) } : {});
  const db = database.db;
  await migrateToLatest(db);
  const store = await createStore(config.mediaStore);
  const app = await buildApp(config, { database, store, logger: options.logger ?? false, ...(options.server ? { server: options.server } : {}) });
  const exchanges = options.contract === false ? undefined : recordExchanges(app);
  await app.ready();
  return {
    app,
    db,
    config,
    exchanges,
    close: async () => {
      let problems: string[] = [];
      let drift: string[] | undefined;
      try {
        if (exchanges) problems = contractProblems(app.swagger() as unknown as OpenApiDocument, exchanges);
        // Whatever a test did, every kept aggregate still equals a recount; unless the test broke
        // the database on purpose (a dropped table, a destroyed handle), where there is nothing to recount.
        drift = await sql<{ what: string }>`${sql.raw(DRIFT_SQL)}`.execute(db).then(
          (result) => result.rows.map((r) => r.what),
          () => undefined,
        );
      } finally {
        await app.close();
        await Promise.all([database.close(), store.close()]);
      }
      if (problems.length > 0) throw contractError(problems);
      if (drift && drift.length > 0) throw new Error(`aggregates differ from a recount (test/support/recount.ts): ${drift.slice(0, 10).join(', ')} (${drift.length} in all)`);
    },
  };
}

/** A log line as the app writes it: pino's JSON, parsed. */
export type LogLine = Record<string, unknown> & { level: number; msg: string };

/**
 * The app's own logger options (redaction, serializers) at `level`, writing into memory: pass
 * `logger` to startApp/startTlsApp, read the lines with `lines()`.
 */
export function memoryLogger(level = 'info'): { logger: FastifyServerOptions['logger']; lines: () => LogLine[] } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  // Without pino-pretty, which a terminal would get: the lines are read back as JSON.
  const { transport: _pretty, ...base } = loggerOptions(loadConfig({ LOG_LEVEL: level })) as Record<string, unknown>;
  return {
    logger: { ...base, level, stream } as FastifyServerOptions['logger'],
    lines: () =>
      text
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as LogLine),
  };
}

export const PASSWORD = 'correct-horse-battery';

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

export function json<T = unknown>(res: LightMyRequestResponse): T {
  return res.json<T>();
}

export async function register(app: FastifyInstance, username: string, password = PASSWORD): Promise<{ id: number; username: string }> {
  const res = await app.inject({ method: 'POST', url: '/api/v1/users', payload: { username, password } });
  if (res.statusCode !== 201) throw new Error(`register ${username}: ${res.statusCode} ${res.body}`);
  return res.json();
}

export async function token(app: FastifyInstance, username: string, password = PASSWORD): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/auth', payload: { username, password } });
  if (res.statusCode !== 200) throw new Error(`token ${username}: ${res.statusCode} ${res.body}`);
  return res.json<{ access_token: string }>().access_token;
}

/** Registers a user and returns a bearer token for them. */
export async function userToken(app: FastifyInstance, username: string): Promise<string> {
  await register(app, username);
  return token(app, username);
}

/** An administrator, made the way an operator makes one (directly, as `butaca user create --admin`). */
export async function adminToken(ctx: TestContext, username = 'admin'): Promise<string> {
  await insertUser(ctx.db, username, await hashPassword(PASSWORD), 'admin');
  return token(ctx.app, username);
}

export async function createMovie(
  app: FastifyInstance,
  adminBearer: string,
  body: { title: string; year?: number | null; synopsis?: string | null } & Record<string, unknown>,
): Promise<{ id: number; title: string }> {
  const res = await app.inject({ method: 'POST', url: '/api/v1/movies', headers: bearer(adminBearer), payload: body });
  if (res.statusCode !== 201) throw new Error(`create movie: ${res.statusCode} ${res.body}`);
  return res.json();
}

/** The session cookie `name=value` from a login response, ready for a Cookie header. */
export function sessionCookie(res: LightMyRequestResponse): string {
  const cookie = res.cookies.find((c) => c.name === 'butaca_session');
  if (!cookie) throw new Error(`no session cookie in ${JSON.stringify(res.headers['set-cookie'])}`);
  return `${cookie.name}=${cookie.value}`;
}

/** A 422 whose detail lists exactly these locations (in any order), each with a msg and type. */
export function assertInvalid(res: LightMyRequestResponse, locs: (string | number)[][]): void {
  assert.equal(res.statusCode, 422, res.body);
  const detail = res.json<{ detail: { loc: (string | number)[]; msg: string; type: string }[] }>().detail;
  const key = (loc: (string | number)[]) => JSON.stringify(loc);
  assert.deepEqual(detail.map((d) => key(d.loc)).sort(), locs.map(key).sort());
  for (const d of detail) {
    assert.equal(typeof d.msg, 'string');
    assert.ok(d.msg.length > 0);
    assert.equal(typeof d.type, 'string');
  }
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export interface CallOptions {
  token?: string | undefined;
  payload?: unknown;
}

/** One request, with a bearer token when given. */
export function callAs(app: FastifyInstance, method: Method, url: string, opts: CallOptions = {}): Promise<LightMyRequestResponse> {
  return app.inject({
    method,
    url,
    headers: opts.token === undefined ? {} : bearer(opts.token),
    ...(opts.payload === undefined ? {} : { payload: opts.payload as object }),
  });
}

// ---------------------------------------------------------------------------------------------
// Media (posters and trailers)

export type MediaKindName = 'poster' | 'trailer';

/** The bytes of a sample file in test/fixtures/media. */
export function mediaFixture(name: string): Buffer {
  return readFileSync(new URL(`../fixtures/media/${name}`, import.meta.url));
}

export interface MultipartPart {
  name: string;
  /** Given (even ''), the part is a file part with this file name. */
  filename?: string;
  contentType?: string;
  data: Buffer | string;
}

/** A multipart/form-data body built by hand, so a test controls every byte (file names included). */
export function multipartBody(parts: MultipartPart[]): { payload: Buffer; contentType: string } {
  const boundary = `----butaca-test-${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const filename = part.filename === undefined ? '' : `; filename="${part.filename}"`;
    const type = part.contentType === undefined ? '' : `Content-Type: ${part.contentType}\r\n`;
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"${filename}\r\n${type}\r\n`));
    chunks.push(Buffer.isBuffer(part.data) ? part.data : Buffer.from(part.data));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

export interface UploadOptions {
  method?: 'POST' | 'PUT';
  /** 'multipart' sends the bytes as the `file` field of a form; anything else is the raw body's Content-Type. */
  as?: 'multipart' | string;
  filename?: string;
  token?: string | undefined;
}

/** Uploads `data` as a movie's poster or trailer (through inject), raw by default with Content-Type application/octet-stream. */
export function uploadMedia(
  app: FastifyInstance,
  movieId: number,
  kind: MediaKindName,
  data: Buffer,
  opts: UploadOptions = {},
): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = opts.token === undefined ? {} : bearer(opts.token);
  let payload = data;
  if (opts.as === 'multipart') {
    const body = multipartBody([{ name: 'file', filename: opts.filename ?? 'upload.bin', contentType: 'application/octet-stream', data }]);
    payload = body.payload;
    headers['content-type'] = body.contentType;
  } else {
    headers['content-type'] = opts.as ?? 'application/octet-stream';
  }
  return app.inject({ method: opts.method ?? 'POST', url: `/api/v1/movies/${movieId}/${kind}`, headers, payload });
}

/** Every file below `dir`, as paths relative to it with "/" separators, sorted; [] when `dir` does not exist. */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (at: string, rel: string): void => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const relPath = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(path.join(at, entry.name), relPath);
      else out.push(relPath);
    }
  };
  walk(dir, '');
  return out.sort();
}

/** The keys in the app's media store that start with `prefix`, sorted: the same check whatever the store. */
export async function storedKeys(ctx: TestContext, prefix = ''): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of ctx.app.store.list(prefix)) keys.push(object.key);
  return keys.sort();
}

/** The whole stored object at `key`. */
export async function storedBytes(store: MediaStore, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await store.get(key)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Writes the store has begun and not finished, with the bytes each holds so far: a file store's
 * temporary files in `<root>/.incoming`, or the uploads an S3 store has under way (which S3 keeps
 * out of sight until complete).
 */
export function unfinishedWrites(ctx: TestContext): { name: string; bytes: number }[] {
  const { store } = ctx.app;
  if (store instanceof S3Store) return store.writesInProgress().map((w) => ({ name: w.key, bytes: w.bytes }));
  if (ctx.config.mediaStore.kind !== 'file') throw new Error(`unfinishedWrites: unknown store ${ctx.config.mediaStore.kind}`);
  const incoming = path.join(ctx.config.mediaStore.root, '.incoming');
  // A write can finish (renamed away) or be cleaned up between the listing and the stat.
  return filesUnder(incoming).flatMap((name) => {
    const stats = statSync(path.join(incoming, name), { throwIfNoEntry: false });
    return stats ? [{ name, bytes: stats.size }] : [];
  });
}

/** Waits until `check` is true, polling every 10 ms; fails after `timeoutMs`. */
export async function waitUntil(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Starts the app listening on a free loopback port and returns the port. */
export async function listenOnLoopback(ctx: TestContext): Promise<number> {
  await ctx.app.listen({ host: '127.0.0.1', port: 0 });
  const address = ctx.app.server.address();
  if (!address || typeof address !== 'object') throw new Error('not listening');
  return address.port;
}

export interface WireResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface WireRequest {
  /** Sends one more piece of the body (a chunk of the chunked encoding when no Content-Length was set). */
  write: (chunk: Buffer) => Promise<void>;
  end: () => void;
  /** Cuts the connection. */
  destroy: () => void;
  /** True once the response's head has arrived. */
  answered: () => boolean;
  /** The whole response; rejects if the connection fails before one arrives, or after `timeoutMs`. */
  response: Promise<WireResponse>;
}

/**
 * A request over a real loopback connection whose body the test sends piece by piece. Without a
 * Content-Length header node sends the body with chunked transfer encoding. The request's head is
 * sent at once, so a server that answers before reading the body can be observed doing so.
 */
export function wireRequest(
  port: number,
  method: string,
  urlPath: string,
  headers: Record<string, string | number> = {},
  timeoutMs = 10_000,
): WireRequest {
  let gotHead = false;
  const req = httpRequest({ host: '127.0.0.1', port, method, path: urlPath, headers, agent: false });
  const response = new Promise<WireResponse>((resolve, reject) => {
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no response to ${method} ${urlPath} within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('response', (res) => {
      gotHead = true;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
      res.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    req.on('error', (err) => {
      // Once answered, the server may close while the rest of the body is still being written.
      if (gotHead) return;
      clearTimeout(timer);
      reject(err);
    });
    req.on('close', () => {
      if (gotHead) return;
      clearTimeout(timer);
      reject(new Error(`connection closed before a response to ${method} ${urlPath}`));
    });
  });
  response.catch(() => {}); // observed by whoever awaits it; never an unhandled rejection
  req.flushHeaders();
  return {
    write: (chunk) =>
      new Promise<void>((resolve) => {
        if (req.destroyed || req.writableEnded) return resolve();
        const done = (): void => {
          req.off('close', done);
          resolve();
        };
        req.once('close', done);
        req.write(chunk, done);
      }),
    end: () => {
      if (!req.destroyed) req.end();
    },
    destroy: () => req.destroy(),
    answered: () => gotHead,
    response,
  };
}

/** One whole request over a real loopback connection (for HEAD and other checks of what goes on the wire). */
export async function wireFetch(port: number, method: string, urlPath: string, headers: Record<string, string> = {}): Promise<WireResponse> {
  const req = wireRequest(port, method, urlPath, headers);
  req.end();
  return req.response;
}

/**
 * What is wrong with the app's database, [] when nothing: on SQLite PRAGMA integrity_check and
 * foreign_key_check; on PostgreSQL (which checks its own pages and enforces the keys) rows whose
 * referenced row is missing; on both, aggregates that differ from a recount (test/support/recount.ts).
 */
export async function dbProblemsOf(ctx: TestContext): Promise<string[]> {
  if (ctx.config.database.kind === 'sqlite') return dbProblems(ctx.config.database.path);
  const problems: string[] = [];
  const orphans = await sql<{ what: string; n: number }>`
    SELECT 'sessions.user_id' AS what, COUNT(*) AS n FROM sessions s WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = s.user_id)
    UNION ALL SELECT 'reviews.user_id', COUNT(*) FROM reviews r WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = r.user_id)
    UNION ALL SELECT 'reviews.movie_id', COUNT(*) FROM reviews r WHERE NOT EXISTS (SELECT 1 FROM movies m WHERE m.id = r.movie_id)
    UNION ALL SELECT 'media.movie_id', COUNT(*) FROM media x WHERE NOT EXISTS (SELECT 1 FROM movies m WHERE m.id = x.movie_id)`.execute(ctx.db);
  for (const row of orphans.rows) if (Number(row.n) > 0) problems.push(`foreign key ${row.what}: ${row.n} rows without their parent`);
  const drift = await sql<{ what: string }>`${sql.raw(DRIFT_SQL)}`.execute(ctx.db);
  if (drift.rows.length > 0) problems.push(`aggregates differ from a recount: ${drift.rows.slice(0, 5).map((r) => r.what).join(', ')} (${drift.rows.length} in all)`);
  return problems;
}

export interface Member {
  id: number;
  username: string;
  token: string;
}

/**
 * `n` members with bearer tokens, made in bulk: one argon2 hash for all of them and sessions
 * written as the auth module writes them (no login each), so a test can have 200 raters in a
 * moment. Their password is PASSWORD.
 */
export async function manyMembers(ctx: TestContext, prefix: string, n: number): Promise<Member[]> {
  const hash = await hashPassword(PASSWORD);
  const now = new Date().toISOString();
  const rows = Array.from({ length: n }, (_, i) => ({ username: `${prefix}${i}`, password_hash: hash, role: 'user' as const, created_at: now }));
  const members: Member[] = [];
  for (let start = 0; start < rows.length; start += 200) {
    const made = await ctx.db.insertInto('users').values(rows.slice(start, start + 200)).returning(['id', 'username']).execute();
    for (const user of made) {
      const { secret } = await createSession(ctx.db, user.id, { idleTimeout: ctx.config.sessionIdleTimeout, maxAge: ctx.config.sessionMaxAge });
      members.push({ id: user.id, username: user.username, token: secret });
    }
  }
  return members;
}
