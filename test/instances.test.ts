import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createTestDatabase, postgresAnswers } from './support/pg.js';
import { REDIS_TEST_URL, dropRedisPrefix, needService, redisAnswers } from './support/redis.js';
import { type Served, serveProcess } from './support/processes.js';

/*
 * Two real `butaca serve` processes on two ports over one database (PostgreSQL, or one SQLite
 * file as WORKERS would share) and one media directory: what one instance learns (a session, a logout, failed logins, a request rate) the
 * other knows at once.
 */

const PASSWORD = 'correct-horse-battery';
const MAX_FAILURES = 3;
const RATE_MAX = 8;

interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

async function call(base: string, method: string, url: string, opts: { headers?: Record<string, string>; body?: unknown } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + url, { method, headers, ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

/**
 * The two instances. On PostgreSQL both migrate the fresh database at the same moment, as a
 * rollout would (Kysely's migrator takes an advisory lock); on SQLite one after the other.
 */
async function startTwo(dataDir: string, env: Record<string, string>): Promise<[Served, Served]> {
  const started =
    env.DATABASE_URL !== undefined
      ? await Promise.allSettled([serveProcess({ DATA_DIR: dataDir, LOG_LEVEL: 'error', ...env }), serveProcess({ DATA_DIR: dataDir, LOG_LEVEL: 'error', ...env })])
      : [await Promise.allSettled([serveProcess({ DATA_DIR: dataDir, LOG_LEVEL: 'error', ...env })]), await Promise.allSettled([serveProcess({ DATA_DIR: dataDir, LOG_LEVEL: 'error', ...env })])].flat();
  const servers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    for (const s of servers) s.child.kill('SIGKILL');
    throw (failed as PromiseRejectedResult).reason;
  }
  return [servers[0]!, servers[1]!];
}

async function stop(server: Served): Promise<void> {
  if (server.child.exitCode === null) server.child.kill('SIGTERM');
  const end = await Promise.race([server.exited, new Promise<null>((resolve) => setTimeout(() => resolve(null), 10_000))]);
  if (end === null) server.child.kill('SIGKILL');
}

/** The scenario on PostgreSQL (`database: 'postgres'`, a fresh database) or on one SQLite file. */
async function scenario(database: 'postgres' | 'sqlite', extraEnv: Record<string, string> = {}): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'butaca-instances-'));
  const pgDb = database === 'postgres' ? await createTestDatabase() : undefined;
  let servers: Served[] = [];
  try {
    servers = await startTwo(dataDir, {
      ...(pgDb ? { DATABASE_URL: pgDb.url } : {}),
      // The rate limits exempt loopback without X-Forwarded-For; behind a trusted local proxy the
      // header names the client, so each part of the test is a different remote client.
      TRUST_PROXY: 'loopback',
      LOGIN_MAX_FAILURES: String(MAX_FAILURES),
      RATE_LIMIT_MAX: String(RATE_MAX),
      ...extraEnv,
    });
    const [a, b] = servers.map((s) => s.base) as [string, string];
    const why = () => `A: ${servers[0]!.output()}\nB: ${servers[1]!.output()}`;

    // Sessions: made on A, used and ended on B, refused on A at once.
    assert.equal((await call(a, 'POST', '/api/v1/users', { body: { username: 'shared', password: PASSWORD } })).status, 201, why());
    const login = await call(a, 'POST', '/api/v1/users/login', { body: { username: 'shared', password: PASSWORD } });
    assert.equal(login.status, 200, why());
    const cookie = /^(butaca_session=[^;]+)/.exec(login.headers.get('set-cookie') ?? '')?.[1];
    assert.ok(cookie, `no session cookie: ${login.headers.get('set-cookie')}`);
    const auth = await call(a, 'POST', '/auth', { body: { username: 'shared', password: PASSWORD } });
    assert.equal(auth.status, 200);
    const bearer = { authorization: `Bearer ${(auth.body as { access_token: string }).access_token}` };
    const byCookie = { cookie };
    for (const [what, headers] of [['cookie', byCookie], ['bearer', bearer]] as const) {
      const me = await call(b, 'GET', '/api/v1/users/me', { headers });
      assert.equal(me.status, 200, `${what} on B`);
      assert.equal((me.body as { username: string }).username, 'shared');
    }
    assert.equal((await call(b, 'POST', '/api/v1/users/logout', { headers: byCookie })).status, 204);
    assert.equal((await call(b, 'POST', '/api/v1/users/logout', { headers: bearer })).status, 204);
    assert.equal((await call(a, 'GET', '/api/v1/users/me', { headers: byCookie })).status, 401, 'cookie on A after logout on B');
    assert.equal((await call(a, 'GET', '/api/v1/users/me', { headers: bearer })).status, 401, 'bearer on A after logout on B');

    // Login throttle: failures on A lock the username on B too, right password and all.
    const guesser = { 'x-forwarded-for': '198.51.100.21' };
    for (let i = 0; i < MAX_FAILURES; i++) {
      const wrong = await call(a, 'POST', '/api/v1/users/login', { headers: guesser, body: { username: 'shared', password: 'wrong-password-1' } });
      assert.equal(wrong.status, 401, `failure ${i + 1} on A`);
    }
    const locked = await call(b, 'POST', '/api/v1/users/login', { headers: { 'x-forwarded-for': '198.51.100.22' }, body: { username: 'shared', password: PASSWORD } });
    assert.equal(locked.status, 429, 'the next login on B');
    assert.ok(Number(locked.headers.get('retry-after')) > 0, 'Retry-After on the 429');
    const lockedToken = await call(b, 'POST', '/auth', { body: { username: 'Shared', password: PASSWORD } });
    assert.equal(lockedToken.status, 429, 'POST /auth on B, username in another case');

    // Request rate: one client's requests on A and on B add up.
    const client = { 'x-forwarded-for': '198.51.100.23' };
    for (let i = 0; i < RATE_MAX; i++) {
      const res = await call(i % 2 === 0 ? a : b, 'GET', '/api/v1/movies', { headers: client });
      assert.equal(res.status, 200, `request ${i + 1} of ${RATE_MAX}`);
    }
    const over = await call(b, 'GET', '/api/v1/movies', { headers: client });
    assert.equal(over.status, 429, 'request past RATE_LIMIT_MAX, counted across both');
    assert.match((over.body as { detail: string }).detail, /Too many requests/);
    assert.equal((await call(a, 'GET', '/api/v1/movies', { headers: client })).status, 429, 'and on A');
    assert.equal((await call(a, 'GET', '/api/v1/movies', { headers: { 'x-forwarded-for': '198.51.100.24' } })).status, 200, 'another client is not limited');
  } finally {
    await Promise.all(servers.map(stop));
    await pgDb?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

describe('two instances sharing one database', { timeout: 120_000 }, () => {
  it('share sessions, logouts, the login throttle and the rate limit (counters in PostgreSQL)', async (t) => {
    if (!(await needService(t, 'PostgreSQL', postgresAnswers))) return;
    await scenario('postgres');
  });

  it('share the same with REDIS_URL (counters in Redis, sessions still in PostgreSQL)', async (t) => {
    if (!(await needService(t, 'PostgreSQL', postgresAnswers))) return;
    if (!(await needService(t, 'Redis', redisAnswers))) return;
    const prefix = `butaca-test-${randomBytes(6).toString('hex')}:`;
    try {
      await scenario('postgres', { REDIS_URL: REDIS_TEST_URL, REDIS_KEY_PREFIX: prefix });
    } finally {
      await dropRedisPrefix(prefix);
    }
  });

  it('share the same on one SQLite file (counters in the side database beside it)', async () => {
    await scenario('sqlite');
  });
});
