import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer } from 'node:net';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { type Kysely, sql } from 'kysely';
import { loadConfig } from '../src/config.js';
import { REDIS_COMMAND_TIMEOUT_MS, connectRedis } from '../src/counters/redis-connect.js';
import { RedisCounterStore } from '../src/counters/redis-store.js';
import type { CountersDatabase } from '../src/counters/sql-schema.js';
import { SqlCounterStore } from '../src/counters/sql-store.js';
import { openSqliteCounters, sideDatabasePath } from '../src/counters/sqlite-side.js';
import type { CounterStore } from '../src/counters/store.js';
import { connect } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { PASSWORD, register, startApp } from './support/app.js';
import { createTestDatabase, postgresAnswers } from './support/pg.js';
import { REDIS_TEST_URL, dropRedisPrefix, needService, redisAnswers } from './support/redis.js';
import { silenceableProxy } from './support/tcp-proxy.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));


/** The behaviour every CounterStore must have, against a real backend. */
function contract(open: () => Promise<CounterStore>) {
  return async (t: { test: (name: string, fn: () => Promise<void>) => Promise<void> }) => {
    const store = await open();
    const key = (name: string) => `test:${name}:${randomBytes(4).toString('hex')}`;
    try {
      await t.test('50 concurrent hits get exactly the counts 1 to 50', async () => {
        const k = key('burst');
        const hits = await Promise.all(Array.from({ length: 50 }, () => store.hit(k, 60_000)));
        assert.deepEqual(
          hits.map((h) => h.count).sort((a, b) => a - b),
          Array.from({ length: 50 }, (_, i) => i + 1),
        );
        // One window for all of them: the first hit fixed its end.
        const ends = new Set(hits.map((h) => Math.round(h.resetAt / 1000)));
        assert.ok(ends.size <= 2, `window ends spread: ${[...ends].join(', ')}`);
        assert.equal((await store.peek(k))?.count, 50);
      });

      await t.test('a window ends after windowMs and the next hit starts a new one', async () => {
        const k = key('expiry');
        const first = await store.hit(k, 300);
        assert.equal(first.count, 1);
        assert.ok(first.resetAt > Date.now() && first.resetAt <= Date.now() + 300, 'resetAt within the window');
        assert.equal((await store.hit(k, 300)).count, 2);
        await sleep(450);
        assert.equal(await store.peek(k), null, 'an expired window is not reported');
        const again = await store.hit(k, 300);
        assert.equal(again.count, 1);
        assert.ok(again.resetAt > first.resetAt, 'the new window ends later');
      });

      await t.test('forgive takes one hit back, never below zero; reset forgets the key', async () => {
        const k = key('forgive');
        for (let i = 0; i < 3; i++) await store.hit(k, 60_000);
        await store.forgive(k);
        assert.equal((await store.peek(k))?.count, 2);
        await store.forgive(k);
        await store.forgive(k);
        await store.forgive(k);
        assert.equal((await store.peek(k))?.count ?? 0, 0);
        assert.equal((await store.hit(k, 60_000)).count, 1);
        await store.reset(k);
        assert.equal(await store.peek(k), null);
        // Forgiving a key that has no window does not create one.
        const none = key('none');
        await store.forgive(none);
        assert.equal(await store.peek(none), null);
      });

      await t.test('keys count apart', async () => {
        const a = key('a');
        const b = key('b');
        await store.hit(a, 60_000);
        await store.hit(a, 60_000);
        assert.equal((await store.hit(b, 60_000)).count, 1);
      });
    } finally {
      await store.close();
    }
  };
}

describe('counter stores', () => {
  it('SQLite side database', async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'butaca-counters-'));
    try {
      await contract(() => openSqliteCounters(path.join(dir, 'butaca.db')))(t);
      assert.ok(existsSync(path.join(dir, 'butaca.db.counters')), 'the side file sits beside the main database');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('SQLite side database: two handles on one file share the counts (WORKERS)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'butaca-counters-'));
    const [a, b] = [await openSqliteCounters(path.join(dir, 'x.db')), await openSqliteCounters(path.join(dir, 'x.db'))];
    try {
      const hits = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).hit('shared', 60_000)));
      assert.deepEqual(
        hits.map((h) => h.count).sort((x, y) => x - y),
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
    } finally {
      await a.close();
      await b.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('SQLite side database: a damaged file is replaced, in memory for an in-memory main', async () => {
    assert.equal(sideDatabasePath(':memory:'), ':memory:');
    const dir = mkdtempSync(path.join(tmpdir(), 'butaca-counters-'));
    try {
      writeFileSync(path.join(dir, 'y.db.counters'), randomBytes(8192));
      const store = await openSqliteCounters(path.join(dir, 'y.db'));
      assert.equal((await store.hit('k', 60_000)).count, 1);
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('PostgreSQL (table from migration 0003)', async (t) => {
    if (!(await needService(t, 'PostgreSQL', postgresAnswers))) return;
    const pgDb = await createTestDatabase();
    const db = connect(loadConfig({ DATABASE_URL: pgDb.url }).database);
    try {
      await migrateToLatest(db);
      const { rows } = await sql<{ relpersistence: string }>`SELECT relpersistence FROM pg_class WHERE relname = 'counters'`.execute(db);
      assert.equal(rows[0]?.relpersistence, 'u', 'counters is UNLOGGED');
      const counters = db.withTables<CountersDatabase>() as unknown as Kysely<CountersDatabase>;
      await contract(async () => new SqlCounterStore(counters))(t);
      const sweeper = new SqlCounterStore(counters);
      await sweeper.hit('short', 1);
      await sweeper.hit('long', 60_000);
      await sleep(20);
      assert.ok((await sweeper.sweep()) >= 1, 'expired rows are swept');
      assert.equal((await sweeper.peek('long'))?.count, 1, 'live rows stay');
      await sweeper.close();
    } finally {
      await db.destroy();
      await pgDb.drop();
    }
  });

  it('Redis', async (t) => {
    if (!(await needService(t, 'Redis', redisAnswers))) return;
    const prefix = `butaca-test-${randomBytes(6).toString('hex')}:`;
    try {
      await contract(async () => new RedisCounterStore(new Redis(REDIS_TEST_URL), prefix))(t);
    } finally {
      await dropRedisPrefix(prefix);
    }
  });
});

describe('when Redis goes away', () => {
  const prefix = `butaca-test-${randomBytes(6).toString('hex')}:`;
  after(() => dropRedisPrefix(prefix).catch(() => {}));

  it('logins answer 503 with a detail, other requests go through uncounted', async (t) => {
    if (!(await needService(t, 'Redis', redisAnswers))) return;
    const ctx = await startApp({ REDIS_URL: REDIS_TEST_URL, REDIS_KEY_PREFIX: prefix, TRUST_PROXY: 'loopback', RATE_LIMIT_MAX: '3' });
    try {
      await register(ctx.app, 'gone');
      const headers = { 'x-forwarded-for': '203.0.113.50' };
      const login = () => ctx.app.inject({ method: 'POST', url: '/api/v1/users/login', headers, payload: { username: 'gone', password: PASSWORD } });
      assert.equal((await login()).statusCode, 200);
      (ctx.app.counters as RedisCounterStore).client.disconnect(); // no reconnect after a manual disconnect
      const refused = await login();
      assert.equal(refused.statusCode, 503);
      assert.match(refused.json<{ detail: string }>().detail, /try again/);
      assert.equal(refused.headers['retry-after'], '5');
      assert.doesNotMatch(refused.body, /at |Error|redis/i, 'no stack trace or internals');
      // Fail open: far past RATE_LIMIT_MAX=3, never a 429 or a 500.
      for (let i = 0; i < 6; i++) {
        const res = await ctx.app.inject({ method: 'GET', url: '/api/v1/movies', headers });
        assert.equal(res.statusCode, 200, `request ${i}: ${res.body}`);
      }
    } finally {
      await ctx.close();
    }
  });

  it('a Redis that stops answering mid-run: logins answer 503 within the command timeout, other requests go through', async (t) => {
    if (!(await needService(t, 'Redis', redisAnswers))) return;
    const proxy = await silenceableProxy(new URL(REDIS_TEST_URL));
    const ctx = await startApp({ REDIS_URL: proxy.url, REDIS_KEY_PREFIX: prefix, TRUST_PROXY: 'loopback', RATE_LIMIT_MAX: '3' });
    try {
      await register(ctx.app, 'stuck');
      const headers = { 'x-forwarded-for': '203.0.113.51' };
      const login = () => ctx.app.inject({ method: 'POST', url: '/api/v1/users/login', headers, payload: { username: 'stuck', password: PASSWORD } });
      assert.equal((await login()).statusCode, 200);
      proxy.silence();
      const started = Date.now();
      const refused = await login();
      const waited = Date.now() - started;
      assert.equal(refused.statusCode, 503, refused.body);
      assert.ok(waited < REDIS_COMMAND_TIMEOUT_MS + 2000, `the login waited ${waited} ms for a silent Redis`);
      for (let i = 0; i < 5; i++) {
        const res = await ctx.app.inject({ method: 'GET', url: '/api/v1/movies', headers });
        assert.equal(res.statusCode, 200, `request ${i}: ${res.body}`);
      }
    } finally {
      await ctx.close();
      await proxy.close();
    }
  });

  it('a REDIS_URL that accepts connections but never answers stops the start with one line, in bounded time', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const log = { warn: () => {}, info: () => {} };
    try {
      const started = Date.now();
      await assert.rejects(
        connectRedis(`redis://:hunter2@127.0.0.1:${port}`, log, 1500),
        (err: Error) => err.name === 'ConfigError' && err.message === `REDIS_URL: cannot connect to redis://127.0.0.1:${port} (it accepted the connection but did not answer)`,
      );
      assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
    } finally {
      silent.close();
      silent.unref();
    }
  });

  it('a REDIS_URL that does not answer stops the start with one line', async () => {
    await assert.rejects(
      startApp({ REDIS_URL: 'redis://:hunter2@127.0.0.1:1' }),
      (err: Error) => err.name === 'ConfigError' && /^REDIS_URL: cannot connect to redis:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\)$/.test(err.message) && !err.message.includes('hunter2'),
    );
  });

  it('REDIS_URL must be redis:// or rediss://, and the message does not repeat it', () => {
    for (const bad of ['http://127.0.0.1:6379', 'redis//x', 'postgres://u:secretpw@h/db']) {
      assert.throws(
        () => loadConfig({ REDIS_URL: bad }),
        (err: Error) => err.name === 'ConfigError' && err.message.startsWith('REDIS_URL: ') && !err.message.includes('secretpw'),
      );
    }
    assert.deepEqual(loadConfig({ REDIS_URL: 'rediss://:pw@cache.internal:6380/2' }).redis, { url: 'rediss://:pw@cache.internal:6380/2', keyPrefix: 'butaca:' });
    assert.equal(loadConfig({}).redis, null);
  });
});
