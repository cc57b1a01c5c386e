import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/connect.js';
import { migrateTo, migrateToLatest } from '../src/db/migrate.js';
import { DEMO_PASSWORD } from '../src/cli/demo-catalogue.js';
import { type TestContext, appOn, bearer } from './support/app.js';
import { createTestDatabase, testDatabaseKind, type TestPgDatabase } from './support/pg.js';
import { DRIFT_SQL } from './support/recount.js';

/*
 * Migrations 0007 (ratings, diary, watchlist, profiles), 0008 (likes, comments, follows, lists,
 * the feed) and 0009 (search, the catalogue's metadata) on a database as an earlier release left it: migrated to 0006 and filled with what `seed --demo` made at that release
 * (test/fixtures/previous-release/demo.json), then opened by today's app. On SQLite, and on
 * PostgreSQL under npm run test:pg.
 */

interface Fixture {
  migration: string;
  tables: {
    users: Record<string, unknown>[];
    movies: { id: number; title: string; review_count: number; score_sum: number }[];
    reviews: { id: number; user_id: number; movie_id: number; score: number; review: string }[];
  };
}

const fixture = JSON.parse(readFileSync(path.join(import.meta.dirname, 'fixtures', 'previous-release', 'demo.json'), 'utf8')) as Fixture;
const { users, movies, reviews } = fixture.tables;

let dir: string;
let pgDb: TestPgDatabase | undefined;
let env: Record<string, string>;
let ctx: TestContext;

async function previousRelease(): Promise<void> {
  const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent', ...env });
  const database = openDatabase(config.database);
  try {
    await migrateTo(database.db, fixture.migration);
    for (const table of ['users', 'movies', 'reviews'] as const) {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tables as they were at 0006, not today's types
      await (database.db as any).insertInto(table).values(fixture.tables[table]).execute();
      if (pgDb) await sql`select setval(pg_get_serial_sequence(${table}, 'id'), (select max(id) from ${sql.table(table)}))`.execute(database.db);
    }
  } finally {
    await database.close();
  }
}

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'butaca-migration-'));
  pgDb = testDatabaseKind() === 'postgres' ? await createTestDatabase() : undefined;
  env = pgDb ? { DATABASE_URL: pgDb.url } : {};
  await previousRelease();
  ctx = await appOn(dir, env);
});
after(async () => {
  await ctx?.close();
  await pgDb?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('migration 0007 on the previous release’s demo data', () => {
  it('makes every review a rating with rating = score, and keeps every review as it was', async () => {
    const ratings = await ctx.db.selectFrom('ratings').select(['user_id', 'movie_id', 'halves']).orderBy('user_id').orderBy('movie_id').execute();
    const expected = reviews.map((r) => ({ user_id: r.user_id, movie_id: r.movie_id, halves: r.score * 2 })).sort((a, b) => a.user_id - b.user_id || a.movie_id - b.movie_id);
    assert.deepEqual(ratings, expected);
    const listed = await ctx.app.inject({ method: 'GET', url: `/api/v1/reviews?limit=100` });
    const got = listed.json<{ id: number; score: number; rating: number; review: string }[]>();
    assert.deepEqual(
      got.map((r) => [r.id, r.score, r.rating, r.review]),
      reviews.map((r) => [r.id, r.score, r.score, r.review]),
    );
  });

  it('recomputes every movie’s aggregates: average, counts, histogram, weighted average', async () => {
    for (const movie of movies) {
      const res = await ctx.app.inject({ method: 'GET', url: `/api/v1/movies/${movie.id}` });
      const body = res.json<{ average_score: number | null; review_count: number; rating_count: number; rating_histogram: number[] }>();
      const scores = reviews.filter((r) => r.movie_id === movie.id).map((r) => r.score);
      assert.equal(body.review_count, movie.review_count);
      assert.equal(body.rating_count, scores.length);
      assert.equal(body.average_score, Math.round((movie.score_sum / movie.review_count) * 100) / 100, movie.title);
      assert.deepEqual(body.rating_histogram, Array.from({ length: 10 }, (_, i) => scores.filter((s) => s * 2 === i + 1).length));
    }
    assert.deepEqual((await sql<{ what: string }>`${sql.raw(DRIFT_SQL)}`.execute(ctx.db)).rows, []);
  });

  it('keeps the accounts: the demo member signs in, has empty profile fields and the right counts, and can write', async () => {
    const demo = users.find((u) => u.username === 'demo') as { id: number };
    const login = await ctx.app.inject({ method: 'POST', url: '/auth', payload: { username: 'demo', password: DEMO_PASSWORD } });
    assert.equal(login.statusCode, 200, login.body);
    const token = login.json<{ access_token: string }>().access_token;
    const me = (await ctx.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(token) })).json<Record<string, unknown>>();
    const mine = reviews.filter((r) => r.user_id === demo.id).length;
    assert.deepEqual([me.id, me.display_name, me.bio, me.avatar_url, me.review_count, me.rating_count, me.diary_count], [demo.id, null, null, null, mine, mine, 0]);
    // New rows get new ids after the carried ones (PostgreSQL's sequences were set past them).
    const unrated = movies.find((m) => !reviews.some((r) => r.user_id === demo.id && r.movie_id === m.id))!;
    const made = await ctx.app.inject({ method: 'POST', url: '/api/v1/reviews', headers: bearer(token), payload: { movie_id: unrated.id, review: 'After the upgrade', rating: 3.5 } });
    assert.equal(made.statusCode, 201, made.body);
    assert.equal(made.json<{ id: number }>().id, reviews.length + 1);
    const logged = await ctx.app.inject({ method: 'POST', url: '/api/v1/diary', headers: bearer(token), payload: { movie_id: unrated.id, watched_on: '2026-11-30', rating: 4 } });
    assert.equal(logged.statusCode, 201, logged.body);
    assert.equal((await ctx.app.inject({ method: 'DELETE', url: `/api/v1/reviews/${reviews.length + 1}`, headers: bearer(token) })).statusCode, 204);
  });

  it('then 0008 (the community): existing reviews have no likes, comments or spoiler, members no follows; all of it works at once', async () => {
    const listed = (await ctx.app.inject({ method: 'GET', url: '/api/v1/reviews?limit=100' })).json<{ id: number; user_id: number; like_count: number; comment_count: number; spoiler: boolean }[]>();
    assert.ok(listed.length > 0 && listed.every((r) => r.like_count === 0 && r.comment_count === 0 && r.spoiler === false));
    const login = await ctx.app.inject({ method: 'POST', url: '/auth', payload: { username: 'demo', password: DEMO_PASSWORD } });
    const auth = bearer(login.json<{ access_token: string }>().access_token);
    const demo = users.find((u) => u.username === 'demo') as { id: number };
    const theirs = listed.find((r) => r.user_id !== demo.id)!;
    assert.equal((await ctx.app.inject({ method: 'PUT', url: `/api/v1/reviews/${theirs.id}/like`, headers: auth })).statusCode, 204);
    assert.equal((await ctx.app.inject({ method: 'POST', url: `/api/v1/reviews/${theirs.id}/comments`, headers: auth, payload: { text: 'Still true.' } })).statusCode, 201);
    assert.equal((await ctx.app.inject({ method: 'PUT', url: `/api/v1/users/me/following/${theirs.user_id}`, headers: auth })).statusCode, 204);
    const list = await ctx.app.inject({ method: 'POST', url: '/api/v1/lists', headers: auth, payload: { title: 'After the upgrade' } });
    assert.equal(list.statusCode, 201, list.body);
    const feed = (await ctx.app.inject({ method: 'GET', url: '/api/v1/users/me/feed', headers: auth })).json<{ type: string }[]>();
    // The followed member's reviews made before 0008 have no activity: the feed starts with the upgrade.
    assert.deepEqual(feed, []);
    const review = (await ctx.app.inject({ method: 'GET', url: `/api/v1/reviews/${theirs.id}` })).json<{ like_count: number; comment_count: number }>();
    assert.deepEqual([review.like_count, review.comment_count], [1, 1]);
    assert.deepEqual((await sql<{ what: string }>`${sql.raw(DRIFT_SQL)}`.execute(ctx.db)).rows, []);
  });

  it('then 0009 (search and metadata): the movies, reviews and members already there are found by search; their metadata is empty', async () => {
    const all = (await ctx.app.inject({ method: 'GET', url: '/api/v1/movies?limit=100' })).json<{ id: number; title: string; directors: string[]; genres: string[]; imdb_id: string | null }[]>();
    assert.equal(all.length, movies.length);
    assert.ok(all.every((m) => m.directors.length === 0 && m.genres.length === 0 && m.imdb_id === null));
    for (const movie of movies) {
      // The title's words, without accents or case: the index was filled from the rows already there.
      const words = movie.title.normalize('NFD').replace(/\p{Mn}/gu, '').toLowerCase().match(/[\p{L}\p{N}]+/gu)!;
      const found = (await ctx.app.inject({ method: 'GET', url: `/api/v1/movies?q=${encodeURIComponent(words.join(' '))}&limit=100` })).json<{ id: number }[]>();
      assert.ok(found.some((m) => m.id === movie.id), `${movie.title} not found by ${words.join(' ')}`);
    }
    const review = reviews[0]!;
    const word = review.review.match(/\p{L}{4,}/u)![0];
    const search = (await ctx.app.inject({ method: 'GET', url: `/api/v1/search?q=${encodeURIComponent(word)}&limit=20` })).json<{ reviews: { id: number }[]; users: unknown[] }>();
    assert.ok(search.reviews.some((r) => r.id === review.id), `review ${review.id} not found by ${word}`);
    const member = (await ctx.app.inject({ method: 'GET', url: '/api/v1/search?q=demo' })).json<{ users: { username: string }[] }>();
    assert.ok(member.users.some((u) => u.username === 'demo'));
  });

  it('goes back down to 0006 with each movie’s average of its reviews, and up again to the same data', async () => {
    await ctx.close();
    const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent', ...env });
    const database = openDatabase(config.database);
    try {
      await migrateTo(database.db, fixture.migration);
      const rows = await sql<{ id: number; review_count: number; score_sum: number }>`select id, review_count, score_sum from movies order by id`.execute(database.db);
      assert.deepEqual(
        rows.rows.map((r) => [Number(r.id), Number(r.review_count), Number(r.score_sum)]),
        movies.map((m) => [m.id, m.review_count, m.score_sum]),
      );
      await migrateToLatest(database.db);
      assert.equal(Number((await sql<{ n: number }>`select count(*) as n from ratings`.execute(database.db)).rows[0]!.n), reviews.length);
      // Down and up again drops what 0008 made, and makes its tables again, empty.
      assert.equal(Number((await sql<{ n: number }>`select count(*) as n from lists`.execute(database.db)).rows[0]!.n), 0);
    } finally {
      await database.close();
    }
    ctx = await appOn(dir, env);
    assert.deepEqual((await sql<{ what: string }>`${sql.raw(DRIFT_SQL)}`.execute(ctx.db)).rows, []);
  });
});
