import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { postgresDataVersion } from '../src/db/data-version.js';
import { createTestDatabase, testDatabaseKind } from './support/pg.js';
import { PASSWORD, type TestContext, adminToken, appOn, bearer, createMovie, mediaFixture, startApp, uploadMedia, userToken } from './support/app.js';

// Public reads are answered again from memory while the data has not changed (src/plugins/read-cache.ts),
// on both databases. These tests hold both halves: a repeat costs no query (on PostgreSQL, none but
// the snapshot that tells whether anything changed, which goes round the query log), and no change is
// ever missed. Answers kept through writes elsewhere need SQLite's write journal.
const SCOPED = testDatabaseKind() === 'sqlite';

/**
 * A repeat that must be served from memory. On PostgreSQL the data version is the whole server's
 * snapshot, and the suite runs two files at once on one server: a commit by the other (a new
 * database, its seeding) makes a repeat miss, rightly. There it counts as served from memory if
 * one of a few tries runs no query; on SQLite the first must.
 */
async function repeat<T>(attempt: () => Promise<T>, fromMemory: (t: T) => boolean): Promise<T> {
  let last = await attempt();
  for (let i = 1; i < (SCOPED ? 1 : 10) && !fromMemory(last); i++) last = await attempt();
  return last;
}

describe('answers to public reads served again from memory', () => {
  let ctx: TestContext;
  let admin: string;
  let alice: string;
  let movieId: number;
  let reviewId: number;
  const queries: string[] = [];

  before(async () => {
    ctx = await startApp({}, { onQuery: (sql) => queries.push(sql) });
    admin = await adminToken(ctx);
    alice = await userToken(ctx.app, 'alice');
    movieId = (await createMovie(ctx.app, admin, { title: 'Memoria', year: 2001 })).id;
    await createMovie(ctx.app, admin, { title: 'Olvido', year: 2002 });
    const review = await ctx.app.inject({ method: 'POST', url: '/api/v1/reviews', headers: bearer(alice), payload: { movie_id: movieId, review: 'Buena', score: 4 } });
    assert.equal(review.statusCode, 201, review.body);
    reviewId = review.json<{ id: number }>().id;
  });
  after(async () => ctx.close());

  /** The queries one GET runs. */
  async function queriesOf(url: string, headers: Record<string, string> = {}) {
    queries.length = 0;
    const res = await ctx.app.inject({ method: 'GET', url, headers });
    return { res, count: queries.length };
  }

  const URLS = () => [
    '/api/v1/movies?page=1&limit=1',
    `/api/v1/movies/${movieId}`,
    `/api/v1/movies/${movieId}/reviews`,
    '/api/v1/reviews?limit=5',
    `/api/v1/reviews/${reviewId}`,
  ];

  it('answers a repeated GET with the same status, body and headers, without a query', async () => {
    for (const url of URLS()) {
      const first = await queriesOf(url);
      assert.equal(first.res.statusCode, 200, `${url}: ${first.res.body}`);
      assert.ok(first.count > 0, `${url}: the first GET reads the database`);
      const again = await repeat(() => queriesOf(url), (r) => r.count === 0);
      assert.equal(again.res.statusCode, 200);
      assert.equal(again.res.body, first.res.body, url);
      for (const name of ['content-type', 'etag', 'x-total-count', 'link', 'content-length']) {
        assert.equal(again.res.headers[name], first.res.headers[name], `${url}: ${name}`);
      }
      // Per-request headers are still made per request.
      assert.notEqual(again.res.headers['x-request-id'], first.res.headers['x-request-id']);
      assert.ok(again.res.headers['content-security-policy'], `${url}: security headers`);
      assert.equal(again.count, 0, `${url}: ran ${again.count} queries: ${queries.join(' | ')}`);
    }
  });

  it("keeps a signed-in caller's own reviews for that caller alone", async () => {
    const bob = await userToken(ctx.app, 'bob-mine');
    const url = '/api/v1/users/reviews?limit=5';
    const pageQueries = () => queries.filter((q) => /from "reviews"/i.test(q)).length;
    const mine = await queriesOf(url, bearer(alice));
    assert.equal(mine.res.statusCode, 200, mine.res.body);
    assert.deepEqual(mine.res.json<{ id: number }[]>().map((r) => r.id), [reviewId]);
    assert.equal(mine.res.headers['cache-control'], 'private, no-cache');
    const again = await repeat(() => queriesOf(url, bearer(alice)), () => pageQueries() === 0);
    assert.equal(again.res.body, mine.res.body);
    assert.equal(again.res.headers['cache-control'], 'private, no-cache');
    assert.equal(pageQueries(), 0, `the page was read again: ${queries.join(' | ')}`);
    const bobs = await queriesOf(url, bearer(bob));
    assert.equal(bobs.res.statusCode, 200);
    assert.deepEqual(bobs.res.json(), [], "bob is not shown alice's remembered page");
    assert.equal(bobs.res.headers['x-total-count'], '0');
    assert.equal((await queriesOf(url)).res.statusCode, 401, 'nor is anyone without a session');
  });

  it("keeps answers that depend on who asks per caller: a private list, a member's lists, the feed", async () => {
    const owner = await userToken(ctx.app, 'carol-lists');
    const other = await userToken(ctx.app, 'dave-lists');
    const made = await ctx.app.inject({ method: 'POST', url: '/api/v1/lists', headers: bearer(owner), payload: { title: 'Secreta', public: false } });
    const list = made.json<{ id: number; user_id: number }>();
    for (let i = 0; i < 2; i++) assert.equal((await queriesOf(`/api/v1/lists/${list.id}`, bearer(owner))).res.statusCode, 200);
    assert.equal((await queriesOf(`/api/v1/lists/${list.id}`, bearer(other))).res.statusCode, 404);
    assert.equal((await queriesOf(`/api/v1/lists/${list.id}`)).res.statusCode, 404);
    const mine = await queriesOf(`/api/v1/users/${list.user_id}/lists`, bearer(owner));
    assert.equal(mine.res.json<unknown[]>().length, 1);
    assert.deepEqual((await queriesOf(`/api/v1/users/${list.user_id}/lists`)).res.json(), []);
    // The feed: remembered for its member, and a new activity of someone they follow shows at once.
    const ownerId = list.user_id;
    assert.equal((await ctx.app.inject({ method: 'PUT', url: `/api/v1/users/me/following/${ownerId}`, headers: bearer(other) })).statusCode, 204);
    const before = (await queriesOf('/api/v1/users/me/feed', bearer(other))).res.json<unknown[]>().length;
    assert.equal((await queriesOf('/api/v1/users/me/feed', bearer(other))).res.json<unknown[]>().length, before);
    await ctx.app.inject({ method: 'POST', url: '/api/v1/lists', headers: bearer(owner), payload: { title: 'Pública' } });
    assert.equal((await queriesOf('/api/v1/users/me/feed', bearer(other))).res.json<unknown[]>().length, before + 1);
  });

  it('answers 304 to the ETag of a remembered answer, and 200 with a new ETag once the data changed', async () => {
    const url = `/api/v1/movies/${movieId}`;
    const { etag } = (await ctx.app.inject({ method: 'GET', url })).headers;
    assert.ok(typeof etag === 'string');
    const notModified = await ctx.app.inject({ method: 'GET', url, headers: { 'if-none-match': etag } });
    assert.equal(notModified.statusCode, 304);
    assert.equal(notModified.body, '');
    assert.equal(notModified.headers.etag, etag);
    const patched = await ctx.app.inject({ method: 'PATCH', url, headers: bearer(admin), payload: { synopsis: 'Cambiada' } });
    assert.equal(patched.statusCode, 200, patched.body);
    const changed = await ctx.app.inject({ method: 'GET', url, headers: { 'if-none-match': etag } });
    assert.equal(changed.statusCode, 200);
    assert.notEqual(changed.headers.etag, etag);
    assert.equal(changed.json<{ synopsis: string }>().synopsis, 'Cambiada');
  });

  it('never remembers an error answer or a HEAD', async () => {
    const missing = `/api/v1/movies/${movieId + 1000}`;
    for (let i = 0; i < 2; i += 1) {
      const { res, count } = await queriesOf(missing);
      assert.equal(res.statusCode, 404);
      assert.ok(count > 0, 'a 404 is looked up every time');
    }
    const invalid = await queriesOf('/api/v1/movies?page=0');
    assert.equal(invalid.res.statusCode, 422);
    const url = '/api/v1/movies?page=1&limit=2';
    await ctx.app.inject({ method: 'GET', url });
    const head = await ctx.app.inject({ method: 'HEAD', url });
    assert.equal(head.statusCode, 200);
    assert.equal(head.body, '');
    assert.equal(head.headers['x-total-count'], '2');
  });

  it('shows every write at once: reviews, movies, posters, accounts', async () => {
    const get = async <T>(url: string): Promise<T> => {
      const res = await ctx.app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
      return res.json<T>();
    };
    type Movie = { review_count: number; average_score: number | null; title: string; poster_url: string | null };
    type Review = { id: number; review: string; score: number };
    // Remember them all first, then change the data under them, one kind of write at a time.
    const bob = await userToken(ctx.app, 'bob');
    for (const url of URLS()) await get(url);
    assert.equal((await get<Movie>(`/api/v1/movies/${movieId}`)).review_count, 1);

    const posted = await ctx.app.inject({ method: 'POST', url: '/api/v1/reviews', headers: bearer(bob), payload: { movie_id: movieId, review: 'Mala', score: 2 } });
    assert.equal(posted.statusCode, 201, posted.body);
    const bobReview = posted.json<Review>().id;
    assert.equal((await get<Movie>(`/api/v1/movies/${movieId}`)).review_count, 2);
    assert.equal((await get<Movie>(`/api/v1/movies/${movieId}`)).average_score, 3);
    assert.deepEqual((await get<Review[]>(`/api/v1/movies/${movieId}/reviews`)).map((r) => r.id), [reviewId, bobReview]);

    const put = await ctx.app.inject({ method: 'PUT', url: `/api/v1/reviews/${reviewId}`, headers: bearer(alice), payload: { review: 'Mejor', score: 5 } });
    assert.equal(put.statusCode, 200, put.body);
    assert.equal((await get<Review>(`/api/v1/reviews/${reviewId}`)).review, 'Mejor');
    assert.equal((await get<Movie>(`/api/v1/movies/${movieId}`)).average_score, 3.5);

    const poster = await uploadMedia(ctx.app, movieId, 'poster', mediaFixture('poster.webp'), { token: admin });
    assert.equal(poster.statusCode, 201, poster.body);
    assert.match((await get<Movie>(`/api/v1/movies/${movieId}`)).poster_url ?? '', /\/poster\?v=/);

    // Bob deletes his account: his review goes with it, and the movie's figures follow.
    const gone = await ctx.app.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: bearer(bob), payload: { password: PASSWORD } });
    assert.equal(gone.statusCode, 204, gone.body);
    assert.equal((await ctx.app.inject({ method: 'GET', url: `/api/v1/reviews/${bobReview}` })).statusCode, 404);
    assert.equal((await get<Movie>(`/api/v1/movies/${movieId}`)).review_count, 1);

    // A write made straight in the database, as an operator's SQL would be.
    await ctx.db.updateTable('movies').set({ title: 'Memoria (editada)' }).where('id', '=', movieId).execute();
    assert.equal((await get<Movie>(`/api/v1/movies/${movieId}`)).title, 'Memoria (editada)');

    const deleted = await ctx.app.inject({ method: 'DELETE', url: `/api/v1/movies/${movieId}`, headers: bearer(admin) });
    assert.equal(deleted.statusCode, 204, deleted.body);
    assert.equal((await ctx.app.inject({ method: 'GET', url: `/api/v1/movies/${movieId}` })).statusCode, 404);
    assert.equal((await ctx.app.inject({ method: 'GET', url: `/api/v1/reviews/${reviewId}` })).statusCode, 404);
    assert.equal((await ctx.app.inject({ method: 'GET', url: '/api/v1/movies?page=1&limit=1' })).headers['x-total-count'], '1');
  });
});

describe('answers kept through the writes that touch none of what they show', () => {
  // The movie list in id order, a movie and a review depend on the rows they show
  // (src/db/write-journal.ts): a write elsewhere keeps them, a write to them or to which movies
  // there are makes them again. Both halves are held: no query for those kept, fresh data for the others.
  let ctx: TestContext;
  let admin: string;
  let alice: string;
  let bob: string;
  const ids = { a: 0, b: 0, c: 0, ra: 0, rb: 0 };
  const queries: string[] = [];

  before(async () => {
    ctx = await startApp({}, { onQuery: (sql) => queries.push(sql) });
    admin = await adminToken(ctx);
    alice = await userToken(ctx.app, 'alice');
    bob = await userToken(ctx.app, 'bob');
    ids.a = (await createMovie(ctx.app, admin, { title: 'Uno', year: 2001 })).id;
    ids.b = (await createMovie(ctx.app, admin, { title: 'Dos', year: 2002 })).id;
    ids.c = (await createMovie(ctx.app, admin, { title: 'Tres', year: 2003 })).id;
    for (const [who, movie, key] of [[alice, ids.a, 'ra'], [bob, ids.b, 'rb']] as const) {
      const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/reviews', headers: bearer(who), payload: { movie_id: movie, review: 'Vista', score: 3 } });
      assert.equal(res.statusCode, 201, res.body);
      ids[key] = res.json<{ id: number }>().id;
    }
  });
  after(async () => ctx.close());

  async function get(url: string) {
    queries.length = 0;
    const res = await ctx.app.inject({ method: 'GET', url });
    assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
    return { res, count: queries.length, body: res.body };
  }
  /** Served from memory (on SQLite; on PostgreSQL any commit drops every answer): `before` is the answer it must equal. */
  async function kept(url: string, before: string) {
    const again = await get(url);
    assert.equal(again.body, before, `${url}: the same answer`);
    if (SCOPED) assert.equal(again.count, 0, `${url}: kept, but ran ${queries.join(' | ')}`);
  }
  async function remade(url: string) {
    const again = await get(url);
    assert.ok(again.count > 0, `${url}: made again`);
    return again;
  }

  it('an edited review: only its movie, itself and its page are made again', async () => {
    const urls = {
      pageA: '/api/v1/movies?page=1&limit=1',
      pageB: '/api/v1/movies?page=2&limit=1',
      movieA: `/api/v1/movies/${ids.a}`,
      movieC: `/api/v1/movies/${ids.c}`,
      reviewA: `/api/v1/reviews/${ids.ra}`,
      reviewB: `/api/v1/reviews/${ids.rb}`,
      byRating: '/api/v1/movies?sort=rating&limit=3',
    };
    const first: Record<string, string> = {};
    for (const [name, url] of Object.entries(urls)) first[name] = (await get(url)).body;

    const put = await ctx.app.inject({ method: 'PUT', url: `/api/v1/reviews/${ids.ra}`, headers: bearer(alice), payload: { review: 'Mejor', score: 5 } });
    assert.equal(put.statusCode, 200, put.body);
    await kept(urls.pageB, first.pageB!);
    await kept(urls.movieC, first.movieC!);
    await kept(urls.reviewB, first.reviewB!);
    assert.equal((await remade(urls.pageA)).res.json<{ average_score: number }[]>()[0]!.average_score, 5);
    assert.equal((await remade(urls.movieA)).res.json<{ average_score: number }>().average_score, 5);
    assert.equal((await remade(urls.reviewA)).res.json<{ review: string }>().review, 'Mejor');
    // A movie's new title reaches its reviews (each shows it), not the others.
    const renamed = await ctx.app.inject({ method: 'PATCH', url: urls.movieA, headers: bearer(admin), payload: { title: 'Uno (nuevo)' } });
    assert.equal(renamed.statusCode, 200, renamed.body);
    assert.equal((await remade(urls.reviewA)).res.json<{ movie: { title: string } }>().movie.title, 'Uno (nuevo)');
    await kept(urls.reviewB, first.reviewB!);
    // A list in another order may be reordered by any rating: it depends on everything.
    assert.deepEqual((await remade(urls.byRating)).res.json<{ id: number }[]>().map((m) => m.id)[0], ids.a);
    // ...and once made again after a write, it is kept: reading out what the write touched (on
    // the next scoped lookup) is not a write.
    const like = await ctx.app.inject({ method: 'PUT', url: `/api/v1/reviews/${ids.ra}/like`, headers: bearer(bob) });
    assert.equal(like.statusCode, 204, like.body);
    const again = (await remade('/api/v1/reviews?limit=5')).body;
    await kept(urls.movieC, first.movieC!);
    await kept('/api/v1/reviews?limit=5', again);
    const unlike = await ctx.app.inject({ method: 'DELETE', url: `/api/v1/reviews/${ids.ra}/like`, headers: bearer(bob) });
    assert.equal(unlike.statusCode, 204, unlike.body);
  });

  it('a like moves its review; a new movie moves the list and its count; a poster moves every movie', async () => {
    const reviewB = `/api/v1/reviews/${ids.rb}`;
    const reviewA = `/api/v1/reviews/${ids.ra}`;
    const pageB = '/api/v1/movies?page=2&limit=1';
    const movieB = `/api/v1/movies/${ids.b}`;
    const before = { reviewA: (await get(reviewA)).body, pageB: (await get(pageB)).body, movieB: (await get(movieB)).body };
    await get(reviewB);

    const like = await ctx.app.inject({ method: 'PUT', url: `/api/v1/reviews/${ids.rb}/like`, headers: bearer(alice) });
    assert.equal(like.statusCode, 204, like.body);
    assert.equal((await remade(reviewB)).res.json<{ like_count: number }>().like_count, 1);
    await kept(reviewA, before.reviewA);

    await createMovie(ctx.app, admin, { title: 'Cuatro', year: 2004 });
    const list = await remade(pageB);
    assert.equal(list.res.headers['x-total-count'], '4');
    assert.equal(list.body, before.pageB, 'the same movie on page 2; its headers moved');
    await kept(movieB, before.movieB);

    const poster = await uploadMedia(ctx.app, ids.c, 'poster', mediaFixture('poster.webp'), { token: admin });
    assert.equal(poster.statusCode, 201, poster.body);
    await remade(movieB);
    assert.match((await remade(`/api/v1/movies/${ids.c}`)).res.json<{ poster_url: string | null }>().poster_url ?? '', /\/poster\?v=/);

    // A movie deleted (its reviews with it): it and its reviews are gone at once, the list counts one fewer.
    const gone = await ctx.app.inject({ method: 'DELETE', url: `/api/v1/movies/${ids.b}`, headers: bearer(admin) });
    assert.equal(gone.statusCode, 204, gone.body);
    assert.equal((await ctx.app.inject({ method: 'GET', url: movieB })).statusCode, 404);
    assert.equal((await ctx.app.inject({ method: 'GET', url: reviewB })).statusCode, 404);
    assert.equal((await remade('/api/v1/movies?page=1&limit=1')).res.headers['x-total-count'], '3');
  });
});

describe('a write by another process on the same database', () => {
  let a: TestContext;
  let b: TestContext;

  before(async () => {
    a = await startApp();
    // A second app on the same database (DATA_DIR and DATABASE_URL): another worker or instance.
    b = await appOn(a.config.dataDir, a.config.database.kind === 'postgres' ? { DATABASE_URL: a.config.database.url } : {});
  });
  after(async () => {
    await b.close();
    await a.close();
  });

  it('is seen by the next GET of this one, though the answer before it was remembered', async () => {
    const admin = await adminToken(a);
    const movie = await createMovie(a.app, admin, { title: 'Compartida' });
    const url = `/api/v1/movies/${movie.id}`;
    for (let i = 0; i < 2; i += 1) assert.equal((await a.app.inject({ method: 'GET', url })).json<{ title: string }>().title, 'Compartida');
    const list = await a.app.inject({ method: 'GET', url: '/api/v1/movies' });
    assert.equal(list.headers['x-total-count'], '1');

    const onB = await b.app.inject({ method: 'PATCH', url, headers: bearer(admin), payload: { title: 'Cambiada en B' } });
    assert.equal(onB.statusCode, 200, onB.body);
    assert.equal((await a.app.inject({ method: 'GET', url })).json<{ title: string }>().title, 'Cambiada en B');
    await createMovie(b.app, admin, { title: 'Nueva en B' });
    assert.equal((await a.app.inject({ method: 'GET', url: '/api/v1/movies' })).headers['x-total-count'], '2');
  });
});

describe("PostgreSQL's data version: the server's snapshot, one round trip for the lookups that ask together", { skip: testDatabaseKind() !== 'postgres' && 'PostgreSQL only (run by npm run test:pg)' }, () => {
  it('sends one query for lookups that ask while one is in flight, and never answers a lookup with a snapshot read before it asked', async () => {
    const database = await createTestDatabase();
    const pool = new pg.Pool({ connectionString: database.url, max: 4 });
    try {
      await pool.query('create table t (n int)');
      let sent = 0;
      // The first snapshot is read at once but comes back late, as over a slow network.
      let slowFirst = true;
      const source = {
        async query(config: { text: string; rowMode: 'array' }) {
          sent += 1;
          const result = await pool.query(config);
          if (slowFirst) {
            slowFirst = false;
            await new Promise((resolve) => setTimeout(resolve, 300));
          }
          return result;
        },
      };
      const version = postgresDataVersion(source);
      const before = version();
      // A write committed and acknowledged while that snapshot is on its way back…
      await pool.query('insert into t values (1)');
      // …is seen by every lookup that asks after it: they wait for a snapshot sent after the first came back.
      const after = Array.from({ length: 10 }, () => version());
      const [old, ...fresh] = await Promise.all([before, ...after]);
      assert.equal(sent, 2, 'one in flight, one for all the lookups that asked meanwhile');
      assert.equal(new Set(fresh).size, 1, 'the ten share one snapshot');
      assert.notEqual(fresh[0], old, 'a commit acknowledged before they asked changes what they see');
      await pool.query('insert into t values (2)');
      assert.notEqual(await version(), fresh[0], 'and the next commit changes it again');
      assert.equal(sent, 3);
    } finally {
      await pool.end();
      await database.drop();
    }
  });
});

describe('READ_CACHE_MB', () => {
  it('0 turns the memory off: every GET reads the database', async () => {
    const queries: string[] = [];
    const ctx = await startApp({ READ_CACHE_MB: '0' }, { onQuery: (sql) => queries.push(sql) });
    try {
      const admin = await adminToken(ctx);
      const movie = await createMovie(ctx.app, admin, { title: 'Sin memoria' });
      for (let i = 0; i < 2; i += 1) {
        queries.length = 0;
        assert.equal((await ctx.app.inject({ method: 'GET', url: `/api/v1/movies/${movie.id}` })).statusCode, 200);
        assert.ok(queries.length > 0);
      }
    } finally {
      await ctx.close();
    }
  });

  it('bounds the memory by URLs as well as bodies: many distinct long URLs with tiny answers push the oldest out', async () => {
    const queries: string[] = [];
    const ctx = await startApp({ READ_CACHE_MB: '1' }, { onQuery: (sql) => queries.push(sql) });
    try {
      // Pages past the end answer `[]`: two characters of body under a 10 KiB URL.
      const url = (i: number) => `/api/v1/movies?page=${1000 + i}&pad=${'x'.repeat(10_240)}`;
      for (let i = 0; i < 200; i++) assert.equal((await ctx.app.inject({ method: 'GET', url: url(i) })).body, '[]');
      const newest = async () => {
        queries.length = 0;
        return (await ctx.app.inject({ method: 'GET', url: url(199) })).body;
      };
      assert.equal(await repeat(newest, () => queries.length === 0), '[]');
      assert.equal(queries.length, 0, 'the newest is still kept');
      assert.equal((await ctx.app.inject({ method: 'GET', url: url(0) })).body, '[]');
      assert.ok(queries.length > 0, 'the oldest of 2 MiB of URLs was pushed out of a 1 MiB cache');
    } finally {
      await ctx.close();
    }
  });

  it('refuses a value that is not a whole number of MiB from 0 to 4096, naming the variable', async () => {
    for (const value of ['-1', 'lots', '4097', '1.5']) {
      await assert.rejects(startApp({ READ_CACHE_MB: value }), /READ_CACHE_MB/);
    }
  });
});
