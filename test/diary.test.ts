import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type CallOptions, type Member, type Method, type TestContext, adminToken, assertInvalid, bearer, callAs, createMovie, manyMembers, startApp } from './support/app.js';
import { checkEmptyPage, checkPagination } from './support/paging.js';

/*
 * community.md, Diary and Watchlist, through HTTP on SQLite and (npm run test:pg) PostgreSQL.
 */

interface Entry {
  id: number;
  user_id: number;
  movie: { id: number; title: string; year: number | null };
  watched_on: string;
  rewatch: boolean;
  rating: number | null;
  liked: boolean;
  tags: string[];
  created_at: string;
}

const ENTRY_KEYS = ['created_at', 'id', 'liked', 'movie', 'rating', 'rewatch', 'tags', 'user_id', 'watched_on'];

let ctx: TestContext;
let admin: string;
let people: Member[];
let seq = 0;

const call = (method: Method, url: string, opts: CallOptions = {}) => callAs(ctx.app, method, url, opts);
const newMovie = async (): Promise<number> => (await createMovie(ctx.app, admin, { title: `Logged ${++seq}`, year: 1960 + seq })).id;

async function log(who: Member, body: Record<string, unknown>): Promise<Entry> {
  const res = await call('POST', '/api/v1/diary', { token: who.token, payload: body });
  assert.equal(res.statusCode, 201, res.body);
  const entry = res.json<Entry>();
  assert.equal(res.headers.location, `/api/v1/diary/${entry.id}`);
  return entry;
}

const myRating = async (who: Member, movieId: number): Promise<number | null> => {
  const res = await call('GET', `/api/v1/movies/${movieId}/rating`, { token: who.token });
  return res.statusCode === 404 ? null : res.json<{ rating: number }>().rating;
};

/** Today and tomorrow in UTC, YYYY-MM-DD. */
const day = (offset: number): string => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

before(async () => {
  ctx = await startApp();
  admin = await adminToken(ctx);
  people = await manyMembers(ctx, 'diarist', 12);
});
after(async () => ctx.close());

describe('diary entries', () => {
  it('logs a viewing (201 + Location) with defaults, and anyone can read it', async () => {
    const movieId = await newMovie();
    const entry = await log(people[0]!, { movie_id: movieId, watched_on: '2024-02-29' });
    assert.deepEqual(Object.keys(entry).sort(), ENTRY_KEYS);
    assert.deepEqual(
      { ...entry, id: 0, created_at: '' },
      { id: 0, user_id: people[0]!.id, movie: { id: movieId, title: `Logged ${seq}`, year: 1960 + seq }, watched_on: '2024-02-29', rewatch: false, rating: null, liked: false, tags: [], created_at: '' },
    );
    const read = await call('GET', `/api/v1/diary/${entry.id}`);
    assert.equal(read.statusCode, 200);
    assert.deepEqual(read.json(), entry);
    assert.equal((await call('GET', '/api/v1/diary/987654')).json<{ code: string }>().code, 'diary_entry_not_found');
  });

  it('refuses bad dates at body.watched_on: in the future, before 1878, not a calendar date, not a date at all', async () => {
    const movieId = await newMovie();
    for (const watched_on of [day(2), '2999-01-01', '1877-12-31', '2023-02-29', '2024-13-01', '2024-1-5', 'yesterday', '', 20240101, null]) {
      const res = await call('POST', '/api/v1/diary', { token: people[1]!.token, payload: { movie_id: movieId, watched_on } });
      assertInvalid(res, [['body', 'watched_on']]);
    }
    // Tomorrow is allowed: it is already tomorrow east of UTC. And the first day of cinema.
    await log(people[1]!, { movie_id: movieId, watched_on: day(1) });
    await log(people[1]!, { movie_id: movieId, watched_on: '1878-01-01' });
    const entry = await log(people[1]!, { movie_id: movieId, watched_on: day(0) });
    const moved = await call('PATCH', `/api/v1/diary/${entry.id}`, { token: people[1]!.token, payload: { watched_on: '1800-01-01' } });
    assertInvalid(moved, [['body', 'watched_on']]);
  });

  it('keeps tags trimmed, drops repeats ignoring case, and refuses more than 20 or blank or over 50 characters', async () => {
    const movieId = await newMovie();
    const entry = await log(people[2]!, { movie_id: movieId, watched_on: '2020-01-01', tags: ['  cine  ', 'Cine', 'madrid', 'MADRID', 'ñ'] });
    assert.deepEqual(entry.tags, ['cine', 'madrid', 'ñ']);
    const over = await call('POST', '/api/v1/diary', { token: people[2]!.token, payload: { movie_id: movieId, watched_on: '2020-01-01', tags: Array.from({ length: 21 }, (_, i) => `t${i}`) } });
    assertInvalid(over, [['body', 'tags']]);
    const bad = await call('POST', '/api/v1/diary', { token: people[2]!.token, payload: { movie_id: movieId, watched_on: '2020-01-01', tags: ['ok', '   ', 'x'.repeat(51)] } });
    assertInvalid(bad, [['body', 'tags', 1], ['body', 'tags', 2]]);
  });

  it('is many entries per movie; the latest viewing’s rating is the member’s rating, and a review’s score follows', async () => {
    const movieId = await newMovie();
    const who = people[3]!;
    const review = await call('POST', '/api/v1/reviews', { token: who.token, payload: { movie_id: movieId, review: 'First thoughts', score: 2 } });
    const reviewId = review.json<{ id: number }>().id;
    await log(who, { movie_id: movieId, watched_on: '2021-06-01', rating: 3 });
    assert.equal(await myRating(who, movieId), 3);
    await log(who, { movie_id: movieId, watched_on: '2023-06-01', rating: 4.5, rewatch: true });
    assert.equal(await myRating(who, movieId), 4.5);
    // An earlier viewing logged later does not overwrite a later viewing's rating.
    await log(who, { movie_id: movieId, watched_on: '2019-06-01', rating: 1 });
    assert.equal(await myRating(who, movieId), 4.5);
    // An entry without a rating leaves the rating as it is.
    await log(who, { movie_id: movieId, watched_on: '2024-06-01', liked: true });
    assert.equal(await myRating(who, movieId), 4.5);
    const r = (await call('GET', `/api/v1/reviews/${reviewId}`)).json<{ score: number; rating: number }>();
    assert.deepEqual([r.score, r.rating], [5, 4.5]);
    const movie = (await call('GET', `/api/v1/movies/${movieId}`)).json<{ rating_count: number; average_score: number }>();
    assert.deepEqual([movie.rating_count, movie.average_score], [1, 4.5]);
  });

  it('a PATCH changes only what it names; rating null clears the entry’s, the member’s rating stays; deleting an entry keeps the rating', async () => {
    const movieId = await newMovie();
    const who = people[4]!;
    const entry = await log(who, { movie_id: movieId, watched_on: '2022-03-04', rating: 2, tags: ['a'] });
    const liked = await call('PATCH', `/api/v1/diary/${entry.id}`, { token: who.token, payload: { liked: true } });
    assert.equal(liked.statusCode, 200, liked.body);
    assert.deepEqual({ ...liked.json<Entry>() }, { ...entry, liked: true });
    const rerated = await call('PATCH', `/api/v1/diary/${entry.id}`, { token: who.token, payload: { rating: 3.5 } });
    assert.equal(rerated.json<Entry>().rating, 3.5);
    assert.equal(await myRating(who, movieId), 3.5);
    const cleared = await call('PATCH', `/api/v1/diary/${entry.id}`, { token: who.token, payload: { rating: null } });
    assert.equal(cleared.json<Entry>().rating, null);
    assert.equal(await myRating(who, movieId), 3.5);
    assert.equal((await call('DELETE', `/api/v1/diary/${entry.id}`, { token: who.token })).statusCode, 204);
    assert.equal((await call('GET', `/api/v1/diary/${entry.id}`)).statusCode, 404);
    assert.equal(await myRating(who, movieId), 3.5);
  });

  it('only the author changes or deletes an entry: others (administrators too) 403, unknown 404, anonymous 401', async () => {
    const entry = await log(people[5]!, { movie_id: await newMovie(), watched_on: '2022-01-01' });
    for (const method of ['PATCH', 'DELETE'] as const) {
      const payload = method === 'PATCH' ? { payload: { liked: true } } : {};
      const other = await call(method, `/api/v1/diary/${entry.id}`, { token: people[6]!.token, ...payload });
      assert.equal(other.statusCode, 403);
      assert.equal(other.json<{ code: string }>().code, 'not_diary_owner');
      assert.equal((await call(method, `/api/v1/diary/${entry.id}`, { token: admin, ...payload })).statusCode, 403);
      assert.equal((await call(method, '/api/v1/diary/876543', { token: people[5]!.token, ...payload })).statusCode, 404);
      assert.equal((await call(method, `/api/v1/diary/${entry.id}`, payload)).statusCode, 401);
    }
    assert.deepEqual((await call('GET', `/api/v1/diary/${entry.id}`)).json<Entry>().liked, false);
  });

  it('a viewing of an unknown movie is 404 and keeps nothing', async () => {
    const res = await call('POST', '/api/v1/diary', { token: people[7]!.token, payload: { movie_id: 999999, watched_on: '2020-01-01', rating: 3 } });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json<{ code: string }>().code, 'movie_not_found');
    await checkEmptyPage(ctx.app, `/api/v1/users/${people[7]!.id}/diary`);
  });

  it('lists a member’s diary latest watched_on first (ties newest logged first), paginated, also as /users/me/diary', async () => {
    const who = people[8]!;
    const movieId = await newMovie();
    // 25 viewings (pagination's three pages of ten), logged out of order, some on the same day.
    const days = Array.from({ length: 25 }, (_, i) => `20${String(10 + ((i * 7) % 13)).padStart(2, '0')}-0${1 + (i % 9)}-1${i % 3}`);
    const made: Entry[] = [];
    for (const watched_on of days) made.push(await log(who, { movie_id: movieId, watched_on }));
    const expected = [...made].sort((a, b) => (a.watched_on === b.watched_on ? b.id - a.id : a.watched_on < b.watched_on ? 1 : -1)).map((e) => e.id);
    await checkPagination(ctx.app, `/api/v1/users/${who.id}/diary`, expected);
    await checkPagination(ctx.app, '/api/v1/users/me/diary', expected, bearer(who.token));
    assert.equal((await call('GET', '/api/v1/users/999999/diary')).statusCode, 404);
    const profile = (await call('GET', `/api/v1/users/${who.id}`)).json<{ diary_count: number }>();
    assert.equal(profile.diary_count, days.length);
  });
});

describe('watchlist', () => {
  it('adds and removes idempotently (204), 404 for an unknown movie, lists last added first, publicly', async () => {
    const who = people[9]!;
    const ids: number[] = [];
    for (let i = 0; i < 25; i++) ids.push(await newMovie());
    for (const id of ids) assert.equal((await call('PUT', `/api/v1/users/me/watchlist/${id}`, { token: who.token })).statusCode, 204);
    // Again: no change, not moved to the top.
    assert.equal((await call('PUT', `/api/v1/users/me/watchlist/${ids[0]}`, { token: who.token })).statusCode, 204);
    assert.equal((await call('PUT', '/api/v1/users/me/watchlist/999999', { token: who.token })).statusCode, 404);
    await checkPagination(ctx.app, `/api/v1/users/${who.id}/watchlist`, [...ids].reverse());
    await checkPagination(ctx.app, '/api/v1/users/me/watchlist', [...ids].reverse(), bearer(who.token));
    assert.equal((await call('DELETE', `/api/v1/users/me/watchlist/${ids[1]}`, { token: who.token })).statusCode, 204);
    assert.equal((await call('DELETE', `/api/v1/users/me/watchlist/${ids[1]}`, { token: who.token })).statusCode, 204);
    const left = (await call('GET', `/api/v1/users/${who.id}/watchlist`)).json<{ id: number; rating_count: number }[]>();
    assert.deepEqual(left.map((m) => m.id), [...ids].reverse().filter((id) => id !== ids[1]).slice(0, 10));
    assert.equal(typeof left[0]!.rating_count, 'number');
    assert.equal((await call('GET', '/api/v1/users/999999/watchlist')).statusCode, 404);
  });

  it('logging a viewing takes the movie off the watchlist (and only that one)', async () => {
    const who = people[10]!;
    const [seen, unseen] = [await newMovie(), await newMovie()];
    for (const id of [seen, unseen]) await call('PUT', `/api/v1/users/me/watchlist/${id}`, { token: who.token });
    await log(who, { movie_id: seen, watched_on: '2024-01-01' });
    const left = (await call('GET', `/api/v1/users/${who.id}/watchlist`)).json<{ id: number }[]>();
    assert.deepEqual(left.map((m) => m.id), [unseen]);
  });

  it('a movie’s deletion takes it off watchlists and diaries', async () => {
    const who = people[11]!;
    const movieId = await newMovie();
    await call('PUT', `/api/v1/users/me/watchlist/${movieId}`, { token: who.token });
    const entry = await log(who, { movie_id: movieId, watched_on: '2024-01-01', rating: 4 });
    await call('PUT', `/api/v1/users/me/watchlist/${movieId}`, { token: who.token });
    assert.equal((await call('DELETE', `/api/v1/movies/${movieId}`, { token: admin })).statusCode, 204);
    await checkEmptyPage(ctx.app, `/api/v1/users/${who.id}/watchlist`);
    assert.equal((await call('GET', `/api/v1/diary/${entry.id}`)).statusCode, 404);
  });
});

describe('movie states', () => {
  it('answers the caller’s rating, review, watchlist mark and viewings for each id asked, in the order asked', async () => {
    const who = people[0]!;
    const [a, b, c] = [await newMovie(), await newMovie(), await newMovie()];
    const review = await call('POST', '/api/v1/reviews', { token: who.token, payload: { movie_id: a, review: 'Yes', rating: 4.5 } });
    await call('PUT', `/api/v1/users/me/watchlist/${b}`, { token: who.token });
    await log(who, { movie_id: c, watched_on: '2020-01-01', rating: 2 });
    await log(who, { movie_id: c, watched_on: '2021-01-01' });
    const res = await call('GET', `/api/v1/users/me/movie-states?ids=${c},${a},${b},999999`, { token: who.token });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), [
      { movie_id: c, rating: 2, review_id: null, watchlisted: false, logged: 2 },
      { movie_id: a, rating: 4.5, review_id: review.json<{ id: number }>().id, watchlisted: false, logged: 0 },
      { movie_id: b, rating: null, review_id: null, watchlisted: true, logged: 0 },
      { movie_id: 999999, rating: null, review_id: null, watchlisted: false, logged: 0 },
    ]);
    for (const ids of ['', 'a', '1,,2', '0', Array.from({ length: 101 }, (_, i) => i + 1).join(',')]) {
      const bad = await call('GET', `/api/v1/users/me/movie-states?ids=${ids}`, { token: who.token });
      assert.equal(bad.statusCode, 422, `${ids}: ${bad.body}`);
    }
  });
});
