import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { after, before, describe, it } from 'node:test';
import { type CallOptions, type Method, PASSWORD, type TestContext, adminToken, assertInvalid, callAs, bearer, createMovie, register, startApp, token } from './support/app.js';
import { assertQueryError, checkEmptyPage, checkPagination, parseLinks } from './support/paging.js';
import type { Review } from '../src/modules/reviews/index.js';
import { sql } from 'kysely';
import { DRIFT_SQL } from './support/recount.js';
import { REVIEW_KEYS } from './support/fields.js';


interface Movie {
  id: number;
  title: string;
  average_score: number | null;
  review_count: number;
}

interface User {
  id: number;
  name: string;
  token: string;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ALREADY = { detail: 'Already created a review', code: 'review_exists' };
const MOVIE_NOT_FOUND = { detail: 'Movie not found', code: 'movie_not_found' };
const REVIEW_NOT_FOUND = { detail: 'Review not found', code: 'review_not_found' };
const NOT_AUTHENTICATED = { detail: 'Not authenticated', code: 'not_authenticated' };


let ctx: TestContext;
let admin: string;
let alice: User;
let bob: User;
let carol: User;
/** Users with no other role than being many: concurrency and pagination. */
const crowd: User[] = [];

const call = (method: Method, url: string, opts: CallOptions = {}) => callAs(ctx.app, method, url, opts);

async function makeUser(name: string): Promise<User> {
  const { id } = await register(ctx.app, name);
  return { id, name, token: await token(ctx.app, name) };
}

const postReview = (user: User | undefined, payload: unknown) => call('POST', '/api/v1/reviews', { token: user?.token, payload });

async function writeReview(user: User, movieId: number, score: number, text = `${user.name} gives ${score}`): Promise<Review> {
  const res = await postReview(user, { movie_id: movieId, review: text, score });
  assert.equal(res.statusCode, 201, res.body);
  return res.json();
}

function assertReview(body: unknown): asserts body is Review {
  const review = body as Review;
  assert.deepEqual(Object.keys(review).sort(), REVIEW_KEYS);
  assert.deepEqual(Object.keys(review.movie).sort(), ['id', 'title']);
  assert.ok(Number.isInteger(review.id) && review.id > 0);
  assert.ok(Number.isInteger(review.score));
  assert.match(review.created_at, ISO);
  assert.match(review.updated_at, ISO);
}

async function getMovie(id: number): Promise<Movie> {
  const res = await call('GET', `/api/v1/movies/${id}`);
  assert.equal(res.statusCode, 200, res.body);
  return res.json();
}

async function storedReview(id: number): Promise<Review> {
  const res = await call('GET', `/api/v1/reviews/${id}`);
  assert.equal(res.statusCode, 200, res.body);
  return res.json();
}

async function reviewCount(): Promise<number> {
  const row = await ctx.db
    .selectFrom('reviews')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Mean of integer scores rounded half-up to 2 decimals, computed in integers (no float drift). */
function expectedAverage(sum: number, count: number): number | null {
  if (count === 0) return null;
  return Math.floor((sum * 200 + count) / (2 * count)) / 100;
}

async function assertMovieAggregates(movieId: number, scores: number[]): Promise<void> {
  const movie = await getMovie(movieId);
  const sum = scores.reduce((a, b) => a + b, 0);
  assert.equal(movie.review_count, scores.length, `review_count of movie ${movieId}`);
  assert.equal(movie.average_score, expectedAverage(sum, scores.length), `average_score of movie ${movieId}`);
}

/**
 * Every movie's review_count and average_score, as the API reports them (list and single GET),
 * equal a recount from the reviews table; so do the stored columns `sort=rating` relies on.
 */
async function assertAggregatesMatchRecount(): Promise<void> {
  const recount = await ctx.db
    .selectFrom('reviews')
    .select(['movie_id', (eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.sum<number>('score').as('s')])
    .groupBy('movie_id')
    .execute();
  const expected = new Map(recount.map((r) => [r.movie_id, { n: Number(r.n), s: Number(r.s) }]));

  const listed: Movie[] = [];
  for (let page = 1; ; page++) {
    const res = await call('GET', `/api/v1/movies?limit=100&page=${page}`);
    assert.equal(res.statusCode, 200);
    listed.push(...res.json<Movie[]>());
    if (!parseLinks(res.headers.link).has('next')) break;
  }
  const stored = await ctx.db.selectFrom('movies').select('id').execute();
  assert.equal(listed.length, stored.length);
  for (const movie of listed) {
    const { n, s } = expected.get(movie.id) ?? { n: 0, s: 0 };
    assert.equal(movie.review_count, n, `review_count of movie ${movie.id}`);
    assert.equal(movie.average_score, expectedAverage(s, n), `average_score of movie ${movie.id}`);
  }
  // The stored columns sort=rating and the histogram rely on, too.
  assert.deepEqual((await sql<{ what: string }>`${sql.raw(DRIFT_SQL)}`.execute(ctx.db)).rows, []);
}

/** Deterministic pseudo-random numbers (mulberry32), so a failing sequence can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

before(async () => {
  ctx = await startApp();
  admin = await adminToken(ctx);
  [alice, bob, carol] = await Promise.all([makeUser('alice'), makeUser('bob'), makeUser('carol')]);
  crowd.push(...(await Promise.all(Array.from({ length: 25 }, (_, i) => makeUser(`crowd${String(i).padStart(2, '0')}`)))));
});

after(async () => ctx.close());

// First, while the database holds only these reviews, so /api/v1/reviews has a known total.
describe('pagination of review lists', () => {
  let paged: { id: number };
  const pagedIds: number[] = []; // oldest first, as the course lists them
  const pagedScores = new Map<number, number>();
  const aliceIds: number[] = [];

  before(async () => {
    paged = await createMovie(ctx.app, admin, { title: 'Paged Movie', year: 2001 });
    for (const [i, user] of crowd.entries()) {
      const { id } = await writeReview(user, paged.id, (i % 5) + 1);
      pagedIds.push(id);
      pagedScores.set(id, (i % 5) + 1);
    }
  });

  it('GET /api/v1/reviews pages all reviews oldest first (by id), as the course does', async () => {
    assert.equal(await reviewCount(), 25);
    await checkPagination(ctx.app, '/api/v1/reviews', pagedIds);
    // A course client's `params={'page': 2, 'limit': 3}` gets the 4th to 6th review written.
    const second = await call('GET', '/api/v1/reviews?page=2&limit=3');
    assert.deepEqual(second.json<Review[]>().map((r) => r.id), pagedIds.slice(3, 6));
  });

  it('every review list takes sort=id|created|rating and order=asc|desc, ties by id in the same direction', async () => {
    const newest = [...pagedIds].reverse();
    // Best first, equal scores newest first: the default order of a rating sort is desc.
    const best = [...pagedIds].sort((a, b) => pagedScores.get(b)! - pagedScores.get(a)! || b - a);
    for (const base of ['/api/v1/reviews', `/api/v1/reviews?movie_id=${paged.id}`, `/api/v1/movies/${paged.id}/reviews`]) {
      const join = base.includes('?') ? '&' : '?';
      await checkPagination(ctx.app, `${base}${join}order=desc`, newest);
      await checkPagination(ctx.app, `${base}${join}sort=id&order=asc`, pagedIds);
      await checkPagination(ctx.app, `${base}${join}sort=created&order=desc`, newest);
      await checkPagination(ctx.app, `${base}${join}sort=rating`, best);
      await checkPagination(ctx.app, `${base}${join}sort=rating&order=asc`, [...best].reverse());
    }
    for (const bad of ['sort=score', 'sort=likes_count', 'order=up', 'sort=']) {
      const res = await call('GET', `/api/v1/reviews?${bad}`);
      assert.equal(res.statusCode, 422, `${bad}: ${res.body}`);
      assert.deepEqual(res.json<{ detail: { loc: unknown[] }[] }>().detail.map((d) => d.loc), [['query', bad.split('=')[0]]]);
    }
  });

  it('GET /api/v1/reviews?movie_id= keeps the filter in its links', async () => {
    await checkPagination(ctx.app, `/api/v1/reviews?movie_id=${paged.id}`, pagedIds);
  });

  it('GET /api/v1/movies/{id}/reviews pages one movie’s reviews', async () => {
    await checkPagination(ctx.app, `/api/v1/movies/${paged.id}/reviews`, pagedIds);
    const empty = await createMovie(ctx.app, admin, { title: 'Unreviewed', year: 2001 });
    await checkEmptyPage(ctx.app, `/api/v1/movies/${empty.id}/reviews`);
  });

  it('GET /api/v1/users/reviews and ?user_id= page one user’s reviews', async () => {
    for (let i = 1; i <= 25; i++) {
      const movie = await createMovie(ctx.app, admin, { title: `Alice Movie ${i}` });
      aliceIds.push((await writeReview(alice, movie.id, 3)).id);
    }
    await checkPagination(ctx.app, '/api/v1/users/reviews', aliceIds, bearer(alice.token));
    await checkPagination(ctx.app, `/api/v1/reviews?user_id=${alice.id}`, aliceIds);
    await checkPagination(ctx.app, '/api/v1/users/reviews?order=desc', [...aliceIds].reverse(), bearer(alice.token));
    await checkPagination(ctx.app, `/api/v1/reviews?user_id=${alice.id}&sort=created&order=desc`, [...aliceIds].reverse());
    await checkEmptyPage(ctx.app, '/api/v1/users/reviews', bearer(bob.token));
    await checkEmptyPage(ctx.app, `/api/v1/reviews?user_id=${bob.id}`);
  });

  it('GET /api/v1/reviews counts every review and pages through them without gaps', async () => {
    const all = await ctx.db.selectFrom('reviews').select('id').orderBy('id', 'asc').execute();
    const seen: number[] = [];
    for (let page = 1; ; page++) {
      const res = await call('GET', `/api/v1/reviews?limit=20&page=${page}`);
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['x-total-count'], String(all.length));
      seen.push(...res.json<Review[]>().map((r) => r.id));
      if (!parseLinks(res.headers.link).has('next')) break;
    }
    assert.deepEqual(
      seen,
      all.map((r) => r.id),
    );
  });
});

describe('POST /api/v1/reviews', () => {
  it('creates a review: 201, Location, the full Review, readable at its Location', async () => {
    const movie = await createMovie(ctx.app, admin, { title: 'Reviewable', year: 1994 });
    const res = await postReview(bob, { movie_id: movie.id, review: '  A fine film.\n', score: 4 });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.headers['content-type'], 'application/json');
    const review = res.json();
    assertReview(review);
    assert.equal(res.headers.location, `/api/v1/reviews/${review.id}`);
    assert.deepEqual(
      { ...review, id: 0, created_at: 'x', updated_at: 'x' },
      {
        id: 0,
        user_id: bob.id,
        username: 'bob',
        movie: { id: movie.id, title: 'Reviewable' },
        review: 'A fine film.',
        score: 4,
        rating: 4,
        spoiler: false,
        like_count: 0,
        comment_count: 0,
        created_at: 'x',
        updated_at: 'x',
      },
    );
    assert.equal(review.created_at, review.updated_at);

    const again = await call('GET', res.headers.location);
    assert.equal(again.statusCode, 200);
    assert.deepEqual(again.json(), review);
    await assertMovieAggregates(movie.id, [4]);
  });

  it('answers 401 with WWW-Authenticate: Bearer without credentials, writing nothing', async () => {
    const movie = await createMovie(ctx.app, admin, { title: 'Anonymous Target' });
    const count = await reviewCount();
    const res = await postReview(undefined, { movie_id: movie.id, review: 'sneaky', score: 5 });
    assert.equal(res.statusCode, 401);
    assert.equal(res.headers['www-authenticate'], 'Bearer');
    assert.deepEqual(res.json(), NOT_AUTHENTICATED);
    const badToken = await call('POST', '/api/v1/reviews', { token: 'x'.repeat(43), payload: { movie_id: movie.id, review: 'sneaky', score: 5 } });
    assert.equal(badToken.statusCode, 401);
    assert.equal(badToken.headers['www-authenticate'], 'Bearer');
    // Authentication is checked before the body.
    assert.equal((await postReview(undefined, { score: 'bad' })).statusCode, 401);
    assert.equal(await reviewCount(), count);
    await assertMovieAggregates(movie.id, []);
  });

  it('answers 404 {"detail":"Movie not found"} for an unknown movie_id', async () => {
    const count = await reviewCount();
    const res = await postReview(bob, { movie_id: 987654, review: 'Of nothing', score: 3 });
    assert.equal(res.statusCode, 404);
    assert.deepEqual(res.json(), MOVIE_NOT_FOUND);
    assert.equal(await reviewCount(), count);
  });

  it('answers 409 {"detail":"Already created a review"} to a second review of the same movie', async () => {
    const movie = await createMovie(ctx.app, admin, { title: 'Reviewed Once', year: 1995 });
    const first = await writeReview(carol, movie.id, 2, 'First take');
    const second = await postReview(carol, { movie_id: movie.id, review: 'Second take', score: 5 });
    assert.equal(second.statusCode, 409);
    assert.deepEqual(second.json(), ALREADY);
    assert.deepEqual(await storedReview(first.id), first);
    await assertMovieAggregates(movie.id, [2]);
    // Someone else may still review it.
    await writeReview(bob, movie.id, 5);
    await assertMovieAggregates(movie.id, [2, 5]);
  });

  it('lets exactly one of twenty concurrent reviews by the same user win', async () => {
    const movie = await createMovie(ctx.app, admin, { title: 'Review Race', year: 2019 });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => postReview(carol, { movie_id: movie.id, review: `attempt ${i}`, score: (i % 5) + 1 })),
    );
    const statuses = results.map((r) => r.statusCode);
    assert.equal(statuses.filter((s) => s === 201).length, 1, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 409).length, 19, statuses.join(','));
    for (const r of results.filter((r) => r.statusCode === 409)) assert.deepEqual(r.json(), ALREADY);
    const winner = results.find((r) => r.statusCode === 201)!.json<Review>();
    const rows = await ctx.db.selectFrom('reviews').select(['id', 'score']).where('movie_id', '=', movie.id).execute();
    assert.deepEqual(rows, [{ id: winner.id, score: winner.score }]);
    await assertMovieAggregates(movie.id, [winner.score]);
  });

  it('requires score to be a whole number from 1 to 5', async () => {
    const movie = await createMovie(ctx.app, admin, { title: 'Score Rules' });
    const count = await reviewCount();
    for (const score of [0, 6, -1, 3.5, '5', null, true, [4], { v: 4 }]) {
      assertInvalid(await postReview(bob, { movie_id: movie.id, review: 'ok', score }), [['body', 'score']]);
    }
    const missing = await postReview(bob, { movie_id: movie.id, review: 'ok' });
    assertInvalid(missing, [['body', 'score']]);
    assert.equal(missing.json<{ detail: { type: string }[] }>().detail[0]!.type, 'missing');
    assert.equal(await reviewCount(), count);

    const other = await createMovie(ctx.app, admin, { title: 'Score Rules 2' });
    assert.equal((await writeReview(bob, movie.id, 1)).score, 1);
    assert.equal((await writeReview(bob, other.id, 5)).score, 5);
  });

  it('requires review text of 1–5000 characters after trimming', async () => {
    const movie = await createMovie(ctx.app, admin, { title: 'Text Rules' });
    const count = await reviewCount();
    for (const review of ['', ' ', ' \t\n  ', 'x'.repeat(5001), null, 5, ['text']]) {
      assertInvalid(await postReview(bob, { movie_id: movie.id, review, score: 3 }), [['body', 'review']]);
    }
    assertInvalid(await postReview(bob, { movie_id: movie.id, score: 3 }), [['body', 'review']]);
    assert.equal(await reviewCount(), count);

    // Surrounding white space does not count towards the 5000.
    const long = await writeReview(bob, movie.id, 3, `  ${'y'.repeat(5000)}\n`);
    assert.equal(long.review, 'y'.repeat(5000));
    const other = await createMovie(ctx.app, admin, { title: 'Text Rules 2' });
    assert.equal((await writeReview(bob, other.id, 3, '\n  z  \t')).review, 'z');
  });

  it('requires movie_id to be a positive integer', async () => {
    for (const movie_id of [0, -1, 1.5, '1', 'abc', null]) {
      assertInvalid(await postReview(bob, { movie_id, review: 'ok', score: 3 }), [['body', 'movie_id']]);
    }
  });

  it('lists every invalid field at once', async () => {
    assertInvalid(await postReview(bob, { movie_id: 'x', review: '', score: 9 }), [
      ['body', 'movie_id'],
      ['body', 'review'],
      ['body', 'score'],
    ]);
    assertInvalid(await postReview(bob, { movie_id: 1, review: '  \n ', score: 3.5 }), [
      ['body', 'review'],
      ['body', 'score'],
    ]);
    assertInvalid(await postReview(bob, {}), [
      ['body', 'movie_id'],
      ['body', 'review'],
      ['body', 'score'],
    ]);
  });

  it('ignores unknown fields: the author is always the caller', async () => {
    const movie = await createMovie(ctx.app, admin, { title: 'Impersonation' });
    const res = await postReview(bob, { movie_id: movie.id, review: 'mine', score: 2, user_id: alice.id, username: 'alice', id: 999999 });
    assert.equal(res.statusCode, 201, res.body);
    const review = res.json<Review>();
    assert.equal(review.user_id, bob.id);
    assert.equal(review.username, 'bob');
    assert.notEqual(review.id, 999999);
  });
});

describe('GET /api/v1/reviews and /api/v1/reviews/{id}', () => {
  let m1: { id: number };
  let m2: { id: number };
  const mine: Review[] = [];
  before(async () => {
    m1 = await createMovie(ctx.app, admin, { title: 'Filter One' });
    m2 = await createMovie(ctx.app, admin, { title: 'Filter Two' });
    mine.push(await writeReview(alice, m1.id, 5));
    mine.push(await writeReview(bob, m1.id, 4));
    mine.push(await writeReview(alice, m2.id, 3));
    mine.push(await writeReview(carol, m2.id, 2));
  });
  const ids = (res: LightMyRequestResponse) => res.json<Review[]>().map((r) => r.id);

  it('lists newest first when asked (order=desc), as full Reviews', async () => {
    const res = await call('GET', '/api/v1/reviews?limit=4&order=desc');
    assert.equal(res.statusCode, 200);
    const body: unknown = res.json();
    assert.ok(Array.isArray(body));
    for (const r of body) assertReview(r);
    assert.deepEqual(body, [...mine].reverse());
  });

  it('filters by movie_id, by user_id, and by both', async () => {
    const [a1, b1, a2, c2] = mine.map((r) => r.id);
    assert.deepEqual(ids(await call('GET', `/api/v1/reviews?movie_id=${m1.id}`)), [a1, b1]);
    assert.deepEqual(ids(await call('GET', `/api/v1/reviews?movie_id=${m2.id}`)), [a2, c2]);
    assert.deepEqual(ids(await call('GET', `/api/v1/reviews?user_id=${carol.id}&limit=100`)).slice(-1), [c2]);
    for (const r of (await call('GET', `/api/v1/reviews?user_id=${carol.id}&limit=100`)).json<Review[]>()) {
      assert.equal(r.user_id, carol.id);
    }
    const both = await call('GET', `/api/v1/reviews?movie_id=${m2.id}&user_id=${alice.id}`);
    assert.deepEqual(ids(both), [a2]);
    assert.equal(both.headers['x-total-count'], '1');
    await checkEmptyPage(ctx.app, `/api/v1/reviews?movie_id=${m1.id}&user_id=${carol.id}`);
    await checkEmptyPage(ctx.app, '/api/v1/reviews?movie_id=987654');
    await checkEmptyPage(ctx.app, '/api/v1/reviews?user_id=987654');
  });

  it('answers 422 at ["query", ...] for filters that are not positive integers', async () => {
    assertQueryError(await call('GET', '/api/v1/reviews?movie_id=abc'), ['movie_id']);
    assertQueryError(await call('GET', '/api/v1/reviews?movie_id=0'), ['movie_id']);
    assertQueryError(await call('GET', '/api/v1/reviews?user_id=-2'), ['user_id']);
    assertQueryError(await call('GET', '/api/v1/reviews?user_id=x&movie_id=1.5&page=0'), ['page', 'movie_id', 'user_id']);
  });

  it('answers one review; 404 {"detail":"Review not found"}; 422 for a bad id', async () => {
    const res = await call('GET', `/api/v1/reviews/${mine[1]!.id}`);
    assert.equal(res.statusCode, 200);
    assertReview(res.json());
    assert.deepEqual(res.json(), mine[1]);
    const missing = await call('GET', '/api/v1/reviews/987654');
    assert.equal(missing.statusCode, 404);
    assert.deepEqual(missing.json(), REVIEW_NOT_FOUND);
    for (const id of ['abc', '0', '-1', '2.5']) assertInvalid(await call('GET', `/api/v1/reviews/${id}`), [['path', 'id']]);
  });

  it('shows the movie’s current title', async () => {
    const renamed = await call('PATCH', `/api/v1/movies/${m2.id}`, { token: admin, payload: { title: 'Filter Two (Director’s Cut)' } });
    assert.equal(renamed.statusCode, 200);
    assert.deepEqual((await storedReview(mine[2]!.id)).movie, { id: m2.id, title: 'Filter Two (Director’s Cut)' });
  });

  it('GET /api/v1/movies/{id}/reviews answers only that movie’s, oldest first; 404 for an unknown movie', async () => {
    const res = await call('GET', `/api/v1/movies/${m1.id}/reviews`);
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), [mine[0], mine[1]]);
    assert.equal(res.headers['x-total-count'], '2');
    const unknown = await call('GET', '/api/v1/movies/987654/reviews');
    assert.equal(unknown.statusCode, 404);
    assert.deepEqual(unknown.json(), MOVIE_NOT_FOUND);
    assertInvalid(await call('GET', '/api/v1/movies/abc/reviews'), [['path', 'id']]);
  });

  it('GET /api/v1/users/reviews answers the caller’s own reviews only; 401 anonymously', async () => {
    const res = await call('GET', '/api/v1/users/reviews?limit=100', { token: carol.token });
    assert.equal(res.statusCode, 200);
    const own = res.json<Review[]>();
    assert.ok(own.length > 0);
    for (const r of own) assert.equal(r.user_id, carol.id);
    assert.equal(own.at(-1)!.id, mine[3]!.id);
    assert.deepEqual(
      own.map((r) => r.id),
      [...own.map((r) => r.id)].sort((a, b) => a - b),
    );
    const anonymous = await call('GET', '/api/v1/users/reviews');
    assert.equal(anonymous.statusCode, 401);
    assert.equal(anonymous.headers['www-authenticate'], 'Bearer');
  });
});

describe('PUT /api/v1/reviews/{id}', () => {
  let movie: { id: number };
  let original: Review;
  before(async () => {
    movie = await createMovie(ctx.app, admin, { title: 'Put Review' });
    original = await writeReview(alice, movie.id, 2, 'Meh');
  });

  it('replaces review and score for the owner: 200, the Review, aggregates follow', async () => {
    await sleep(5);
    const res = await call('PUT', `/api/v1/reviews/${original.id}`, { token: alice.token, payload: { review: '  Better on a second look  ', score: 5 } });
    assert.equal(res.statusCode, 200, res.body);
    const review = res.json();
    assertReview(review);
    assert.deepEqual(
      { ...review, updated_at: 'x' },
      { ...original, review: 'Better on a second look', score: 5, rating: 5, updated_at: 'x' },
    );
    assert.ok(review.updated_at > original.updated_at);
    assert.deepEqual(await storedReview(original.id), review);
    await assertMovieAggregates(movie.id, [5]);
    original = review;
  });

  it('requires both fields and validates them', async () => {
    const url = `/api/v1/reviews/${original.id}`;
    assertInvalid(await call('PUT', url, { token: alice.token, payload: { review: 'only text' } }), [['body', 'score']]);
    assertInvalid(await call('PUT', url, { token: alice.token, payload: { score: 3 } }), [['body', 'review']]);
    assertInvalid(await call('PUT', url, { token: alice.token, payload: {} }), [
      ['body', 'review'],
      ['body', 'score'],
    ]);
    assertInvalid(await call('PUT', url, { token: alice.token, payload: { review: '   ', score: 3 } }), [['body', 'review']]);
    assertInvalid(await call('PUT', url, { token: alice.token, payload: { review: '   ', score: 6 } }), [
      ['body', 'review'],
      ['body', 'score'],
    ]);
    assertInvalid(await call('PUT', url, { token: alice.token, payload: { review: 'ok', score: 0 } }), [['body', 'score']]);
    assertInvalid(await call('PUT', url, { token: alice.token, payload: { review: 'x'.repeat(5001), score: '4' } }), [
      ['body', 'review'],
      ['body', 'score'],
    ]);
    assert.deepEqual(await storedReview(original.id), original);
    await assertMovieAggregates(movie.id, [5]);
  });

  it('cannot move the review to another movie', async () => {
    const other = await createMovie(ctx.app, admin, { title: 'Put Review Elsewhere' });
    const res = await call('PUT', `/api/v1/reviews/${original.id}`, {
      token: alice.token,
      payload: { review: original.review, score: original.score, movie_id: other.id, user_id: bob.id },
    });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json<Review>().movie, original.movie);
    assert.equal(res.json<Review>().user_id, alice.id);
    await assertMovieAggregates(other.id, []);
    original = res.json();
  });

  it('answers 403 to another user and to an administrator, 401 anonymously, changing nothing', async () => {
    const payload = { review: 'Hijacked', score: 1 };
    const url = `/api/v1/reviews/${original.id}`;
    for (const who of [bob.token, admin]) {
      const res = await call('PUT', url, { token: who, payload });
      assert.equal(res.statusCode, 403);
      assert.deepEqual(Object.keys(res.json()).filter((k) => k !== 'ctx').sort(), ['code', 'detail']);
    }
    const anonymous = await call('PUT', url, { payload });
    assert.equal(anonymous.statusCode, 401);
    assert.equal(anonymous.headers['www-authenticate'], 'Bearer');
    assert.deepEqual(await storedReview(original.id), original);
    await assertMovieAggregates(movie.id, [5]);
  });

  it('answers 404 {"detail":"Review not found"} for an unknown review', async () => {
    const res = await call('PUT', '/api/v1/reviews/987654', { token: alice.token, payload: { review: 'x', score: 3 } });
    assert.equal(res.statusCode, 404);
    assert.deepEqual(res.json(), REVIEW_NOT_FOUND);
  });
});

describe('PATCH /api/v1/reviews/{id}', () => {
  let movie: { id: number };
  let current: Review;
  before(async () => {
    movie = await createMovie(ctx.app, admin, { title: 'Patch Review' });
    current = await writeReview(bob, movie.id, 3, 'Average');
  });
  const patch = (payload: unknown, who: string | undefined = bob.token) => call('PATCH', `/api/v1/reviews/${current.id}`, { token: who, payload });

  it('changes only the score when only the score is sent', async () => {
    await sleep(5);
    const res = await patch({ score: 1 });
    assert.equal(res.statusCode, 200, res.body);
    assertReview(res.json());
    assert.deepEqual({ ...res.json<Review>(), updated_at: 'x' }, { ...current, score: 1, rating: 1, updated_at: 'x' });
    assert.ok(res.json<Review>().updated_at > current.updated_at);
    await assertMovieAggregates(movie.id, [1]);
    current = res.json();
  });

  it('changes only the text when only the text is sent', async () => {
    const res = await patch({ review: '  Dull  ' });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual({ ...res.json<Review>(), updated_at: 'x' }, { ...current, review: 'Dull', updated_at: 'x' });
    await assertMovieAggregates(movie.id, [1]);
    current = res.json();
  });

  it('changes both, or nothing for an empty body', async () => {
    const both = await patch({ review: 'Grew on me', score: 4 });
    assert.equal(both.statusCode, 200);
    assert.equal(both.json<Review>().review, 'Grew on me');
    assert.equal(both.json<Review>().score, 4);
    current = both.json();
    // Nothing sent, or nothing different: nothing changes, updated_at included.
    await sleep(5);
    const nothing = await patch({});
    assert.equal(nothing.statusCode, 200);
    assert.deepEqual(nothing.json(), current);
    assert.deepEqual((await patch({ score: 4, review: '  Grew on me ' })).json(), current);
    const put = await call('PUT', `/api/v1/reviews/${current.id}`, { token: bob.token, payload: { review: 'Grew on me', score: 4 } });
    assert.deepEqual(put.json(), current);
    await assertMovieAggregates(movie.id, [4]);
  });

  it('validates the fields sent', async () => {
    for (const score of [0, 6, 2.5, '3', null]) assertInvalid(await patch({ score }), [['body', 'score']]);
    for (const review of ['', '  ', 'x'.repeat(5001), null]) assertInvalid(await patch({ review }), [['body', 'review']]);
    assertInvalid(await patch({ review: ' ', score: 7 }), [
      ['body', 'review'],
      ['body', 'score'],
    ]);
    assert.deepEqual(await storedReview(current.id), current);
    await assertMovieAggregates(movie.id, [4]);
  });

  it('answers 403 to another user and to an administrator, 401 anonymously, changing nothing', async () => {
    for (const who of [carol.token, admin]) {
      const res = await patch({ score: 1 }, who);
      assert.equal(res.statusCode, 403);
      assert.deepEqual(Object.keys(res.json()).filter((k) => k !== 'ctx').sort(), ['code', 'detail']);
    }
    const anonymous = await call('PATCH', `/api/v1/reviews/${current.id}`, { payload: { score: 1 } });
    assert.equal(anonymous.statusCode, 401);
    assert.equal(anonymous.headers['www-authenticate'], 'Bearer');
    assert.deepEqual(await storedReview(current.id), current);
    await assertMovieAggregates(movie.id, [4]);
  });

  it('answers 404 {"detail":"Review not found"} for an unknown review', async () => {
    const res = await call('PATCH', '/api/v1/reviews/987654', { token: bob.token, payload: { score: 3 } });
    assert.equal(res.statusCode, 404);
    assert.deepEqual(res.json(), REVIEW_NOT_FOUND);
  });
});

describe('DELETE /api/v1/reviews/{id}', () => {
  it('lets the owner delete: 204, then 404, aggregates follow, and the movie may be reviewed again', async () => {
    const movie = await createMovie(ctx.app, admin, { title: 'Delete Own' });
    const mine = await writeReview(carol, movie.id, 1);
    await writeReview(bob, movie.id, 4);
    const res = await call('DELETE', `/api/v1/reviews/${mine.id}`, { token: carol.token });
    assert.equal(res.statusCode, 204);
    assert.equal(res.body, '');
    const gone = await call('GET', `/api/v1/reviews/${mine.id}`);
    assert.equal(gone.statusCode, 404);
    assert.deepEqual(gone.json(), REVIEW_NOT_FOUND);
    await assertMovieAggregates(movie.id, [4]);
    const twice = await call('DELETE', `/api/v1/reviews/${mine.id}`, { token: carol.token });
    assert.equal(twice.statusCode, 404);
    assert.deepEqual(twice.json(), REVIEW_NOT_FOUND);
    await writeReview(carol, movie.id, 2);
    await assertMovieAggregates(movie.id, [4, 2]);
  });

  it('lets an administrator delete anyone’s review', async () => {
    const movie = await createMovie(ctx.app, admin, { title: 'Delete By Admin' });
    const review = await writeReview(bob, movie.id, 5);
    const res = await call('DELETE', `/api/v1/reviews/${review.id}`, { token: admin });
    assert.equal(res.statusCode, 204);
    assert.equal((await call('GET', `/api/v1/reviews/${review.id}`)).statusCode, 404);
    await assertMovieAggregates(movie.id, []);
  });

  it('answers 403 to another user, 401 anonymously, 404 for an unknown review', async () => {
    const movie = await createMovie(ctx.app, admin, { title: 'Delete Refused' });
    const review = await writeReview(bob, movie.id, 3);
    const other = await call('DELETE', `/api/v1/reviews/${review.id}`, { token: carol.token });
    assert.equal(other.statusCode, 403);
    assert.deepEqual(Object.keys(other.json()).filter((k) => k !== 'ctx').sort(), ['code', 'detail']);
    const anonymous = await call('DELETE', `/api/v1/reviews/${review.id}`);
    assert.equal(anonymous.statusCode, 401);
    assert.equal(anonymous.headers['www-authenticate'], 'Bearer');
    assert.deepEqual(await storedReview(review.id), review);
    await assertMovieAggregates(movie.id, [3]);
    const unknown = await call('DELETE', '/api/v1/reviews/987654', { token: admin });
    assert.equal(unknown.statusCode, 404);
    assert.deepEqual(unknown.json(), REVIEW_NOT_FOUND);
    assertInvalid(await call('DELETE', '/api/v1/reviews/abc', { token: admin }), [['path', 'id']]);
  });
});

describe('movie aggregates', () => {
  it('follow every create, PUT, PATCH, DELETE and account deletion exactly (5, 4, 4 → 4.33)', async () => {
    const movie = await createMovie(ctx.app, admin, { title: 'Aggregate Walk' });
    const side = await createMovie(ctx.app, admin, { title: 'Aggregate Side' });
    const [u1, u2, u3] = [crowd[0]!, crowd[1]!, crowd[2]!];
    const leaving = await makeUser('leaving');

    await assertMovieAggregates(movie.id, []);
    const r1 = await writeReview(u1, movie.id, 5);
    await assertMovieAggregates(movie.id, [5]);
    const r2 = await writeReview(u2, movie.id, 4);
    await assertMovieAggregates(movie.id, [5, 4]);
    assert.equal((await getMovie(movie.id)).average_score, 4.5);
    const r3 = await writeReview(u3, movie.id, 4);
    assert.deepEqual(await getMovie(movie.id).then((m) => [m.average_score, m.review_count]), [4.33, 3]);

    // PUT 5 → 3: (3 + 4 + 4) / 3 = 3.67
    assert.equal((await call('PUT', `/api/v1/reviews/${r1.id}`, { token: u1.token, payload: { review: 'r', score: 3 } })).statusCode, 200);
    assert.deepEqual(await getMovie(movie.id).then((m) => [m.average_score, m.review_count]), [3.67, 3]);
    // PATCH 4 → 1: (3 + 1 + 4) / 3 = 2.67
    assert.equal((await call('PATCH', `/api/v1/reviews/${r2.id}`, { token: u2.token, payload: { score: 1 } })).statusCode, 200);
    assert.deepEqual(await getMovie(movie.id).then((m) => [m.average_score, m.review_count]), [2.67, 3]);
    // PATCH of the text only leaves the numbers alone.
    assert.equal((await call('PATCH', `/api/v1/reviews/${r2.id}`, { token: u2.token, payload: { review: 'words' } })).statusCode, 200);
    assert.deepEqual(await getMovie(movie.id).then((m) => [m.average_score, m.review_count]), [2.67, 3]);
    // DELETE the 4: (3 + 1) / 2 = 2
    assert.equal((await call('DELETE', `/api/v1/reviews/${r3.id}`, { token: u3.token })).statusCode, 204);
    assert.deepEqual(await getMovie(movie.id).then((m) => [m.average_score, m.review_count]), [2, 2]);

    // A user with reviews on two movies deletes the account: both movies are corrected.
    const l1 = await writeReview(leaving, movie.id, 5);
    const l2 = await writeReview(leaving, side.id, 2);
    await assertMovieAggregates(movie.id, [3, 1, 5]);
    await assertMovieAggregates(side.id, [2]);
    const del = await call('DELETE', '/api/v1/users/me', { token: leaving.token, payload: { password: PASSWORD } });
    assert.equal(del.statusCode, 204, del.body);
    await assertMovieAggregates(movie.id, [3, 1]);
    await assertMovieAggregates(side.id, []);
    for (const r of [l1, l2]) assert.equal((await call('GET', `/api/v1/reviews/${r.id}`)).statusCode, 404);
    await checkEmptyPage(ctx.app, `/api/v1/reviews?user_id=${leaving.id}`);
    assert.equal((await call('GET', '/api/v1/users/me', { token: leaving.token })).statusCode, 401);

    // Every review gone: null again, not 0.
    assert.equal((await call('DELETE', `/api/v1/reviews/${r1.id}`, { token: admin })).statusCode, 204);
    assert.equal((await call('DELETE', `/api/v1/reviews/${r2.id}`, { token: u2.token })).statusCode, 204);
    assert.deepEqual(await getMovie(movie.id).then((m) => [m.average_score, m.review_count]), [null, 0]);
    await assertAggregatesMatchRecount();
  });

  it('equal a recount after a seeded pseudo-random sequence of 60 writes by several users', async () => {
    const random = seeded(20261126);
    const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
    const score = () => 1 + Math.floor(random() * 5);

    const users = await Promise.all(['seq-a', 'seq-b', 'seq-c', 'seq-d', 'seq-e', 'seq-f'].map(makeUser));
    const movies: number[] = [];
    for (const title of ['Seq One', 'Seq Two', 'Seq Three', 'Seq Four', 'Seq Five']) movies.push((await createMovie(ctx.app, admin, { title })).id);

    // The model: who reviewed what, with which score.
    const model = new Map<string, { id: number; user: User; movie: number; score: number }>();
    const active = [...users];
    const counts: Record<string, number> = {};

    for (let step = 0; step < 60; step++) {
      const existing = [...model.values()];
      let op = random();
      if (existing.length === 0) op = 0;
      const label = `step ${step}`;

      if (step === 30) {
        // Halfway through, one user (and every review they wrote) leaves.
        const leaver = active.splice(active.indexOf(pick(active)), 1)[0]!;
        const res = await call('DELETE', '/api/v1/users/me', { token: leaver.token, payload: { password: PASSWORD } });
        assert.equal(res.statusCode, 204, label);
        for (const [key, r] of model) if (r.user === leaver) model.delete(key);
        counts.leave = (counts.leave ?? 0) + 1;
      } else if (op < 0.4) {
        const user = pick(active);
        const movie = pick(movies);
        const s = score();
        const res = await postReview(user, { movie_id: movie, review: `${label} by ${user.name}`, score: s });
        const key = `${user.id}:${movie}`;
        if (model.has(key)) {
          assert.equal(res.statusCode, 409, label);
          assert.deepEqual(res.json(), ALREADY);
          counts.conflict = (counts.conflict ?? 0) + 1;
        } else {
          assert.equal(res.statusCode, 201, `${label}: ${res.body}`);
          model.set(key, { id: res.json<Review>().id, user, movie, score: s });
          counts.create = (counts.create ?? 0) + 1;
        }
      } else if (op < 0.6) {
        const r = pick(existing);
        const s = score();
        const res = await call('PUT', `/api/v1/reviews/${r.id}`, { token: r.user.token, payload: { review: `${label} put`, score: s } });
        assert.equal(res.statusCode, 200, label);
        assert.equal(res.json<Review>().score, s);
        r.score = s;
        counts.put = (counts.put ?? 0) + 1;
      } else if (op < 0.8) {
        const r = pick(existing);
        const s = score();
        const payload = random() < 0.7 ? { score: s } : { score: s, review: `${label} patch` };
        const res = await call('PATCH', `/api/v1/reviews/${r.id}`, { token: r.user.token, payload });
        assert.equal(res.statusCode, 200, label);
        assert.equal(res.json<Review>().score, s);
        r.score = s;
        counts.patch = (counts.patch ?? 0) + 1;
      } else if (op < 0.95) {
        const r = pick(existing);
        const res = await call('DELETE', `/api/v1/reviews/${r.id}`, { token: random() < 0.5 ? r.user.token : admin });
        assert.equal(res.statusCode, 204, label);
        model.delete(`${r.user.id}:${r.movie}`);
        counts.delete = (counts.delete ?? 0) + 1;
      } else {
        // Someone else tries to change it: refused, nothing moves.
        const r = pick(existing);
        const intruder = pick(active.filter((u) => u !== r.user));
        const res = await call('PATCH', `/api/v1/reviews/${r.id}`, { token: intruder.token, payload: { score: score() } });
        assert.equal(res.statusCode, 403, label);
        counts.forbidden = (counts.forbidden ?? 0) + 1;
      }

      // After every step: the API agrees with the model and with a recount from the table.
      for (const movie of movies) {
        await assertMovieAggregates(
          movie,
          [...model.values()].filter((r) => r.movie === movie).map((r) => r.score),
        );
      }
      await assertAggregatesMatchRecount();
    }
    // The sequence really exercised every kind of write.
    for (const kind of ['create', 'conflict', 'put', 'patch', 'delete', 'leave']) assert.ok((counts[kind] ?? 0) > 0, `no ${kind} in ${JSON.stringify(counts)}`);
  });

  it('equal a recount after concurrent creates, edits and deletes on one movie', async () => {
    const random = seeded(42);
    const movie = await createMovie(ctx.app, admin, { title: 'Crowded Movie' });
    const other = await createMovie(ctx.app, admin, { title: 'Crowded Neighbour' });
    const users = crowd.slice(0, 20);
    const scores = users.map(() => 1 + Math.floor(random() * 5));

    const created = await Promise.all(users.map((u, i) => postReview(u, { movie_id: movie.id, review: `crowd ${i}`, score: scores[i] })));
    assert.deepEqual(
      created.map((r) => r.statusCode),
      users.map(() => 201),
    );
    const reviews = created.map((r) => r.json<Review>());
    await assertMovieAggregates(movie.id, scores);
    await assertAggregatesMatchRecount();

    // All at once: a third replace their review, a third patch the score, the rest are deleted
    // (by their author or an administrator), while the same users review the neighbouring movie.
    const expected = new Map<number, number>(); // review id → score, for those that stay
    const writes: Promise<LightMyRequestResponse>[] = [];
    const want: number[] = [];
    reviews.forEach((r, i) => {
      const s = 1 + Math.floor(random() * 5);
      if (i % 3 === 0) {
        writes.push(call('PUT', `/api/v1/reviews/${r.id}`, { token: users[i]!.token, payload: { review: 'replaced', score: s } }));
        want.push(200);
        expected.set(r.id, s);
      } else if (i % 3 === 1) {
        writes.push(call('PATCH', `/api/v1/reviews/${r.id}`, { token: users[i]!.token, payload: { score: s } }));
        want.push(200);
        expected.set(r.id, s);
      } else {
        writes.push(call('DELETE', `/api/v1/reviews/${r.id}`, { token: i % 2 === 0 ? users[i]!.token : admin }));
        want.push(204);
      }
      writes.push(postReview(users[i], { movie_id: other.id, review: 'next door', score: s }));
      want.push(201);
    });
    const results = await Promise.all(writes);
    assert.deepEqual(
      results.map((r) => r.statusCode),
      want,
    );
    await assertMovieAggregates(movie.id, [...expected.values()]);
    await assertAggregatesMatchRecount();

    // And a burst of edits to the same review racing its own deletion: whatever the order, exact.
    const target = reviews[0]!;
    const burst = await Promise.all([
      call('PATCH', `/api/v1/reviews/${target.id}`, { token: users[0]!.token, payload: { score: 1 } }),
      call('PUT', `/api/v1/reviews/${target.id}`, { token: users[0]!.token, payload: { review: 'again', score: 5 } }),
      call('DELETE', `/api/v1/reviews/${target.id}`, { token: users[0]!.token }),
      call('PATCH', `/api/v1/reviews/${target.id}`, { token: users[0]!.token, payload: { score: 3 } }),
    ]);
    for (const r of burst) assert.ok([200, 204, 404].includes(r.statusCode), `${r.statusCode} ${r.body}`);
    assert.equal(burst.filter((r) => r.statusCode === 204).length, 1);
    assert.equal((await call('GET', `/api/v1/reviews/${target.id}`)).statusCode, 404);
    expected.delete(target.id);
    await assertMovieAggregates(movie.id, [...expected.values()]);
    await assertAggregatesMatchRecount();
  });

  it('equal a recount when accounts are deleted while their owners keep writing reviews', async () => {
    const random = seeded(7);
    const movies = await Promise.all(Array.from({ length: 8 }, (_, i) => createMovie(ctx.app, admin, { title: `Leaving Party ${i}` })));
    const leavers = await Promise.all(Array.from({ length: 4 }, (_, i) => makeUser(`leaver${i}`)));
    const own = new Map<number, number[]>(); // user id → their review ids
    for (const user of leavers) {
      own.set(user.id, []);
      for (const m of movies.slice(0, 4)) own.get(user.id)!.push((await writeReview(user, m.id, 1 + Math.floor(random() * 5))).id);
    }
    await assertAggregatesMatchRecount();

    // Each account is deleted while its owner keeps editing and adding reviews, until the
    // deletion has answered: whatever lands before, during or after it, the aggregates stay exact.
    await Promise.all(
      leavers.map(async (user) => {
        let done = false;
        const deletion = call('DELETE', '/api/v1/users/me', { token: user.token, payload: { password: PASSWORD } }).finally(() => {
          done = true;
        });
        const edits: Promise<LightMyRequestResponse>[] = [];
        const posts: Promise<LightMyRequestResponse>[] = [];
        let next = 4;
        while (!done) {
          const s = 1 + Math.floor(random() * 5);
          const ids = own.get(user.id)!;
          edits.push(call('PATCH', `/api/v1/reviews/${ids[Math.floor(random() * ids.length)]}`, { token: user.token, payload: { score: s } }));
          posts.push(postReview(user, { movie_id: movies[next % movies.length]!.id, review: 'one more', score: s }));
          next += 1;
          await sleep(1);
        }
        assert.equal((await deletion).statusCode, 204);
        // An edit may find its review gone (404); a new review of a movie that exists is never a
        // "Movie not found", even when its author's account disappears under it (401).
        for (const r of await Promise.all(edits)) assert.ok([200, 401, 404].includes(r.statusCode), `${r.statusCode} ${r.body}`);
        for (const r of await Promise.all(posts)) assert.ok([201, 401, 409].includes(r.statusCode), `${r.statusCode} ${r.body}`);
      }),
    );
    const left = await ctx.db
      .selectFrom('reviews')
      .select('id')
      .where(
        'user_id',
        'in',
        leavers.map((u) => u.id),
      )
      .execute();
    assert.deepEqual(left, []);
    await assertAggregatesMatchRecount();
  });
});
