import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { type CallOptions, type Member, type Method, type TestContext, adminToken, assertInvalid, callAs, createMovie, manyMembers, startApp } from './support/app.js';
import { DRIFT_SQL } from './support/recount.js';
import { PRIOR_MEAN, PRIOR_WEIGHT } from '../src/domain/ratings.js';

/*
 * community.md, Ratings: half stars, score ↔ rating, rating without writing, every aggregate exact
 * (also under 20 concurrent writers) and the weighted sort. On SQLite and on PostgreSQL (npm run
 * test:pg runs this file again against a fresh PostgreSQL database).
 */

interface MovieBody {
  id: number;
  average_score: number | null;
  review_count: number;
  rating_count: number;
  rating_histogram: number[];
}

let ctx: TestContext;
let admin: string;
let members: Member[];
let seq = 0;

const call = (method: Method, url: string, opts: CallOptions = {}) => callAs(ctx.app, method, url, opts);
const newMovie = async (title = `Rated ${++seq}`): Promise<number> => (await createMovie(ctx.app, admin, { title, year: 1990 + (seq % 30) })).id;
const movieOf = async (id: number): Promise<MovieBody> => (await call('GET', `/api/v1/movies/${id}`)).json();

async function rate(who: Member, movieId: number, rating: number): Promise<void> {
  const res = await call('PUT', `/api/v1/movies/${movieId}/rating`, { token: who.token, payload: { rating } });
  assert.equal(res.statusCode, 200, res.body);
}

async function drift(): Promise<string[]> {
  return (await sql<{ what: string }>`${sql.raw(DRIFT_SQL)}`.execute(ctx.db)).rows.map((r) => r.what);
}

/** What the movie's aggregates must be for these ratings (in stars). */
function expected(ratings: number[]): Pick<MovieBody, 'average_score' | 'rating_count' | 'rating_histogram'> {
  const histogram = Array.from({ length: 10 }, (_, i) => ratings.filter((r) => r === (i + 1) / 2).length);
  const average = ratings.length === 0 ? null : Math.round((ratings.reduce((a, b) => a + b, 0) / ratings.length) * 100) / 100;
  return { average_score: average, rating_count: ratings.length, rating_histogram: histogram };
}

before(async () => {
  ctx = await startApp();
  admin = await adminToken(ctx);
  members = await manyMembers(ctx, 'rater', 200);
});
after(async () => ctx.close());

describe('score and rating on reviews', () => {
  const cases: { body: Record<string, number>; score: number; rating: number }[] = [
    { body: { score: 4 }, score: 4, rating: 4 },
    { body: { rating: 0.5 }, score: 1, rating: 0.5 },
    { body: { rating: 3.5 }, score: 4, rating: 3.5 },
    { body: { rating: 2.5 }, score: 3, rating: 2.5 },
    { body: { rating: 5 }, score: 5, rating: 5 },
    { body: { score: 2, rating: 1.5 }, score: 2, rating: 1.5 },
    { body: { score: 3, rating: 3 }, score: 3, rating: 3 },
  ];
  for (const [i, c] of cases.entries()) {
    it(`stores ${JSON.stringify(c.body)} as score ${c.score}, rating ${c.rating}, and the rating is the member's`, async () => {
      const movieId = await newMovie();
      const who = members[i]!;
      const res = await call('POST', '/api/v1/reviews', { token: who.token, payload: { movie_id: movieId, review: 'Text', ...c.body } });
      assert.equal(res.statusCode, 201, res.body);
      const review = res.json<{ id: number; score: number; rating: number }>();
      assert.equal(review.score, c.score);
      assert.equal(review.rating, c.rating);
      const rating = await call('GET', `/api/v1/movies/${movieId}/rating`, { token: who.token });
      assert.equal(rating.statusCode, 200, rating.body);
      assert.deepEqual(Object.keys(rating.json()).sort(), ['movie_id', 'rating', 'updated_at']);
      assert.equal(rating.json<{ rating: number }>().rating, c.rating);
      assert.deepEqual(await movieOf(movieId).then((m) => [m.review_count, m.rating_count, m.average_score]), [1, 1, c.rating]);
    });
  }

  it('refuses a score and a rating that disagree, at body.rating, and keeps nothing', async () => {
    const movieId = await newMovie();
    for (const body of [{ score: 4, rating: 4.5 }, { score: 3, rating: 3.5 }, { score: 1, rating: 2 }]) {
      const res = await call('POST', '/api/v1/reviews', { token: members[10]!.token, payload: { movie_id: movieId, review: 'Text', ...body } });
      assertInvalid(res, [['body', 'rating']]);
    }
    const m = await movieOf(movieId);
    assert.equal(m.rating_count, 0);
    assert.equal(m.review_count, 0);
  });

  it('refuses ratings that are not half stars from 0.5 to 5, at body.rating', async () => {
    const movieId = await newMovie();
    for (const rating of [0, 5.5, 0.3, 4.25, -1, '4', null]) {
      const res = await call('POST', '/api/v1/reviews', { token: members[11]!.token, payload: { movie_id: movieId, review: 'Text', rating } });
      assertInvalid(res, [['body', 'rating']]);
      const put = await call('PUT', `/api/v1/movies/${movieId}/rating`, { token: members[11]!.token, payload: { rating } });
      assertInvalid(put, [['body', 'rating']]);
    }
  });

  it('asks for score when neither is sent', async () => {
    const res = await call('POST', '/api/v1/reviews', { token: members[12]!.token, payload: { movie_id: await newMovie(), review: 'Text' } });
    assertInvalid(res, [['body', 'score']]);
  });

  it('a PATCH with a rating moves the score; a PATCH with a score moves the rating', async () => {
    const movieId = await newMovie();
    const who = members[13]!;
    const made = await call('POST', '/api/v1/reviews', { token: who.token, payload: { movie_id: movieId, review: 'Text', score: 2 } });
    const id = made.json<{ id: number }>().id;
    const half = await call('PATCH', `/api/v1/reviews/${id}`, { token: who.token, payload: { rating: 4.5 } });
    assert.deepEqual([half.json<{ score: number }>().score, half.json<{ rating: number }>().rating], [5, 4.5]);
    const whole = await call('PATCH', `/api/v1/reviews/${id}`, { token: who.token, payload: { score: 1 } });
    assert.deepEqual([whole.json<{ score: number }>().score, whole.json<{ rating: number }>().rating], [1, 1]);
    assert.deepEqual((await movieOf(movieId)).rating_histogram, [0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
  });
});

describe('rating without writing', () => {
  it('GET is 404 until rated, PUT sets and replaces, DELETE removes (204), then 404 again', async () => {
    const movieId = await newMovie();
    const who = members[20]!;
    const none = await call('GET', `/api/v1/movies/${movieId}/rating`, { token: who.token });
    assert.equal(none.statusCode, 404);
    assert.equal(none.json<{ code: string }>().code, 'rating_not_found');
    await rate(who, movieId, 3.5);
    await rate(who, movieId, 4);
    const got = await call('GET', `/api/v1/movies/${movieId}/rating`, { token: who.token });
    assert.equal(got.json<{ rating: number; movie_id: number }>().rating, 4);
    assert.equal(got.json<{ movie_id: number }>().movie_id, movieId);
    assert.deepEqual(await movieOf(movieId).then((m) => [m.rating_count, m.review_count, m.average_score]), [1, 0, 4]);
    const gone = await call('DELETE', `/api/v1/movies/${movieId}/rating`, { token: who.token });
    assert.equal(gone.statusCode, 204);
    assert.equal((await call('GET', `/api/v1/movies/${movieId}/rating`, { token: who.token })).statusCode, 404);
    assert.equal((await call('DELETE', `/api/v1/movies/${movieId}/rating`, { token: who.token })).statusCode, 404);
    assert.deepEqual(await movieOf(movieId).then((m) => [m.rating_count, m.average_score]), [0, null]);
  });

  it('a rating on an unknown movie is 404 movie_not_found', async () => {
    for (const method of ['GET', 'PUT', 'DELETE'] as const) {
      const res = await call(method, '/api/v1/movies/999999/rating', { token: members[21]!.token, ...(method === 'PUT' ? { payload: { rating: 3 } } : {}) });
      assert.equal(res.statusCode, 404, `${method} ${res.body}`);
      if (method !== 'GET') assert.equal(res.json<{ code: string }>().code, 'movie_not_found');
    }
  });

  it('PUT also changes the member’s review; DELETE is 409 while the review holds it; deleting the review deletes the rating', async () => {
    const movieId = await newMovie();
    const who = members[22]!;
    const made = await call('POST', '/api/v1/reviews', { token: who.token, payload: { movie_id: movieId, review: 'Mine', score: 3 } });
    const reviewId = made.json<{ id: number }>().id;
    await rate(who, movieId, 0.5);
    const review = (await call('GET', `/api/v1/reviews/${reviewId}`)).json<{ score: number; rating: number }>();
    assert.deepEqual([review.score, review.rating], [1, 0.5]);
    const held = await call('DELETE', `/api/v1/movies/${movieId}/rating`, { token: who.token });
    assert.equal(held.statusCode, 409);
    assert.equal(held.json<{ code: string }>().code, 'rating_held_by_review');
    assert.equal((await call('DELETE', `/api/v1/reviews/${reviewId}`, { token: who.token })).statusCode, 204);
    assert.equal((await call('GET', `/api/v1/movies/${movieId}/rating`, { token: who.token })).statusCode, 404);
    assert.deepEqual(await movieOf(movieId).then((m) => [m.rating_count, m.review_count]), [0, 0]);
  });

  it('a review of a movie the member already rated takes over that rating (POST with the text, one rating)', async () => {
    const movieId = await newMovie();
    const who = members[23]!;
    await rate(who, movieId, 2.5);
    const made = await call('POST', '/api/v1/reviews', { token: who.token, payload: { movie_id: movieId, review: 'Now with words', rating: 3.5 } });
    assert.equal(made.statusCode, 201, made.body);
    const m = await movieOf(movieId);
    assert.deepEqual([m.rating_count, m.review_count, m.average_score], [1, 1, 3.5]);
  });
});

describe('aggregates', () => {
  it('average (2 decimals), counts and the histogram are exact after a sequence of writes', async () => {
    const movieId = await newMovie();
    const ratings = [0.5, 1, 1, 2.5, 3, 3.5, 4, 4.5, 5, 5, 5];
    for (const [i, r] of ratings.entries()) await rate(members[30 + i]!, movieId, r);
    assert.deepEqual(await movieOf(movieId).then(({ average_score, rating_count, rating_histogram }) => ({ average_score, rating_count, rating_histogram })), expected(ratings));
    // 1/3 average: the 2 decimals round, they are not the raw mean.
    const third = await newMovie();
    for (const [i, r] of [1, 1, 1.5].entries()) await rate(members[50 + i]!, third, r);
    assert.equal((await movieOf(third)).average_score, 1.17);
    assert.deepEqual(await drift(), []);
  });

  it('stays exact under 20 concurrent writers (ratings, reviews, changes, deletions)', async () => {
    const movieId = await newMovie();
    const writers = members.slice(60, 80);
    // Each writer's last word is what counts; a recount of the rows must agree with the movie.
    const finals = await Promise.all(
      writers.map(async (who, i) => {
        const r1 = ((i % 10) + 1) / 2;
        await rate(who, movieId, r1);
        if (i % 3 === 0) {
          const made = await call('POST', '/api/v1/reviews', { token: who.token, payload: { movie_id: movieId, review: `Writer ${i}`, rating: 5 - r1 + 0.5 } });
          assert.equal(made.statusCode, 201, made.body);
          if (i % 2 === 0) {
            assert.equal((await call('DELETE', `/api/v1/reviews/${made.json<{ id: number }>().id}`, { token: who.token })).statusCode, 204);
            return null;
          }
          return 5 - r1 + 0.5;
        }
        if (i % 3 === 1) {
          assert.equal((await call('DELETE', `/api/v1/movies/${movieId}/rating`, { token: who.token })).statusCode, 204);
          await rate(who, movieId, 2);
          return 2;
        }
        return r1;
      }),
    );
    const left = finals.filter((r): r is number => r !== null);
    const m = await movieOf(movieId);
    assert.deepEqual({ average_score: m.average_score, rating_count: m.rating_count, rating_histogram: m.rating_histogram }, expected(left));
    assert.equal(m.review_count, writers.filter((_, i) => i % 3 === 0 && i % 2 === 1).length);
    assert.deepEqual(await drift(), []);
  });

  it('an account’s deletion takes its ratings out of every movie’s aggregates', async () => {
    const [a, b] = [await newMovie(), await newMovie()];
    const [leaver] = await manyMembers(ctx, 'leaver', 1);
    await rate(leaver!, a, 5);
    await call('POST', '/api/v1/reviews', { token: leaver!.token, payload: { movie_id: b, review: 'Bye', rating: 1.5 } });
    await rate(members[100]!, a, 3);
    const gone = await call('DELETE', '/api/v1/users/me', { token: leaver!.token, payload: { password: 'correct-horse-battery' } });
    assert.equal(gone.statusCode, 204, gone.body);
    assert.deepEqual(await movieOf(a).then((m) => [m.rating_count, m.average_score]), [1, 3]);
    assert.deepEqual(await movieOf(b).then((m) => [m.rating_count, m.review_count, m.average_score]), [0, 0, null]);
    assert.deepEqual(await drift(), []);
  });
});

describe('sort=rating', () => {
  it('is the weighted average: 200 ratings averaging 4.4 rank above one 5-star rating; unrated last; ties by id in the same direction', async () => {
    const prefix = `Bayes ${Date.now()} `;
    const many = await newMovie(`${prefix}many`);
    const one = await newMovie(`${prefix}one`);
    const none = await newMovie(`${prefix}none`);
    const tieA = await newMovie(`${prefix}tie a`);
    const tieB = await newMovie(`${prefix}tie b`);
    // 160 × 4.5 + 40 × 4.0 = 880 over 200 = 4.4; written straight as the service writes them would be too slow one by one
    await Promise.all(members.map((who, i) => rate(who, many, i < 160 ? 4.5 : 4)));
    await rate(members[0]!, one, 5);
    await rate(members[1]!, tieA, 3.5);
    await rate(members[1]!, tieB, 3.5);
    const res = await call('GET', `/api/v1/movies?q=${encodeURIComponent(prefix.trim())}&sort=rating&limit=10`);
    assert.equal(res.statusCode, 200, res.body);
    const order = res.json<{ id: number; average_score: number | null }[]>();
    // Ties by id in the sort's direction, as every movie sort breaks them.
    assert.deepEqual(order.map((m) => m.id), [many, one, tieB, tieA, none]);
    assert.equal(order[0]!.average_score, 4.4);
    // The formula the README gives, with its constants.
    const weighted = (sum: number, n: number) => (sum + PRIOR_WEIGHT * PRIOR_MEAN) / (n + PRIOR_WEIGHT);
    assert.ok(weighted(880, 200) > weighted(5, 1));
    const asc = await call('GET', `/api/v1/movies?q=${encodeURIComponent(prefix.trim())}&sort=rating&order=asc&limit=10`);
    assert.deepEqual(asc.json<{ id: number }[]>().map((m) => m.id), [none, tieA, tieB, one, many]);
    assert.deepEqual(await drift(), []);
  });
});
