import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import type { LightMyRequestResponse } from 'fastify';
import { type TestContext, adminToken, startApp } from './support/app.js';
import { createTestDatabase, postgresAnswers, testDatabaseKind } from './support/pg.js';
import { needService } from './support/redis.js';
import { silenceableProxy } from './support/tcp-proxy.js';

/** The answer a client gets while the database cannot serve: 503, a reason, a time to come back, no internals. */
function assertUnavailable(res: LightMyRequestResponse, what: string): void {
  assert.equal(res.statusCode, 503, `${what}: ${res.body}`);
  assert.equal(res.headers['retry-after'], '5', what);
  assert.deepEqual(res.json(), { detail: 'The database is unavailable; try again shortly', code: 'database_unavailable' }, what);
}

describe('when the database cannot serve', () => {
  it('PostgreSQL that stops answering, then goes away: 503 with Retry-After in bounded time, never a hang or a 500', async (t) => {
    if (!(await needService(t, 'PostgreSQL', postgresAnswers))) return;
    const database = await createTestDatabase();
    const proxy = await silenceableProxy(new URL(database.url));
    let ctx: TestContext | undefined;
    try {
      ctx = await startApp({ DATABASE_URL: proxy.url, DATABASE_QUERY_TIMEOUT: '1', READ_CACHE_MB: '0' });
      const app = ctx.app;
      assert.equal((await app.inject({ method: 'GET', url: '/api/v1/movies' })).statusCode, 200);

      proxy.silence(); // the pooled connection stays open, and nothing comes back on it
      let started = Date.now();
      assertUnavailable(await app.inject({ method: 'GET', url: '/api/v1/movies' }), 'silent server');
      assert.ok(Date.now() - started < 4000, `waited ${Date.now() - started} ms`);
      assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 503);

      await proxy.close(); // every connection cut, and the port closed: new connections are refused
      started = Date.now();
      assertUnavailable(await app.inject({ method: 'GET', url: '/api/v1/movies/1' }), 'server gone');
      assertUnavailable(await app.inject({ method: 'POST', url: '/api/v1/users', payload: { username: 'nadie', password: 'correct-horse-battery' } }), 'a write');
      assert.ok(Date.now() - started < 12_000, `waited ${Date.now() - started} ms`);
    } finally {
      await ctx?.close().catch(() => {});
      await proxy.close().catch(() => {});
      await database.drop();
    }
  });

  it('SQLite locked by another process past the busy timeout: 503, and the write succeeds once the lock is gone', { skip: testDatabaseKind() === 'postgres' && 'a SQLite file lock' }, async () => {
    const ctx = await startApp();
    try {
      const admin = await adminToken(ctx);
      const other = new SQLite(ctx.config.database.kind === 'sqlite' ? ctx.config.database.path : '');
      other.exec('BEGIN IMMEDIATE'); // another process holding the write lock (a long `butaca seed`, say)
      const create = () => ctx.app.inject({ method: 'POST', url: '/api/v1/movies', headers: { authorization: `Bearer ${admin}` }, payload: { title: 'Bloqueada' } });
      try {
        assertUnavailable(await create(), 'locked');
      } finally {
        other.exec('ROLLBACK');
        other.close();
      }
      const res = await create();
      assert.equal(res.statusCode, 201, res.body);
      const list = await ctx.app.inject({ method: 'GET', url: '/api/v1/movies' });
      assert.deepEqual(list.json<{ title: string }[]>().map((m) => m.title), ['Bloqueada'], 'nothing half-written by the refused attempt');
    } finally {
      await ctx.close();
    }
  });
});
