import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { after, before, describe, it } from 'node:test';
import { type CallOptions, type Method, type TestContext, adminToken, assertInvalid, callAs, createMovie, startApp, userToken } from './support/app.js';
import { MOVIE_KEYS } from './support/fields.js';
import { assertQueryError, checkEmptyPage, checkPagination } from './support/paging.js';

interface Movie {
  id: number;
  title: string;
  year: number | null;
  synopsis: string | null;
  average_score: number | null;
  review_count: number;
  poster_url: string | null;
  trailer_url: string | null;
  created_at: string;
  updated_at: string;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const DUPLICATE = { detail: 'A movie with this title and year already exists', code: 'movie_exists' };
const NOT_FOUND = { detail: 'Movie not found', code: 'movie_not_found' };


let ctx: TestContext;
let admin: string;
let alice: string; // an ordinary user
const reviewers: string[] = [];

const call = (method: Method, url: string, opts: CallOptions = {}) => callAs(ctx.app, method, url, opts);

const post = (payload: unknown, token: string | undefined = admin) => call('POST', '/api/v1/movies', { token, payload });

function assertMovie(body: unknown): asserts body is Movie {
  const movie = body as Movie;
  assert.deepEqual(Object.keys(movie).sort(), MOVIE_KEYS);
  assert.ok(Number.isInteger(movie.id) && movie.id > 0);
  assert.match(movie.created_at, ISO);
  assert.match(movie.updated_at, ISO);
  assert.equal(movie.poster_url, null);
  assert.equal(movie.trailer_url, null);
}

async function movieCount(): Promise<number> {
  const row = await ctx.db
    .selectFrom('movies')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function review(token: string, movieId: number, score: number): Promise<{ id: number }> {
  const res = await call('POST', '/api/v1/reviews', { token, payload: { movie_id: movieId, review: `Scored ${score}`, score } });
  assert.equal(res.statusCode, 201, res.body);
  return res.json();
}

const titles = (res: LightMyRequestResponse) => res.json<Movie[]>().map((m) => m.title);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

before(async () => {
  ctx = await startApp();
  admin = await adminToken(ctx);
  alice = await userToken(ctx.app, 'alice');
  reviewers.push(...(await Promise.all(['rev1', 'rev2', 'rev3', 'rev4'].map((name) => userToken(ctx.app, name)))));
});

after(async () => ctx.close());

describe('GET /api/v1/movies/{id}', () => {
  it('answers one movie with the full Movie shape', async () => {
    const created = await createMovie(ctx.app, admin, { title: 'Get One', year: 1999, synopsis: 'A movie to read.' });
    const res = await call('GET', `/api/v1/movies/${created.id}`);
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    const movie = res.json();
    assertMovie(movie);
    assert.deepEqual(
      { ...movie, created_at: 'x', updated_at: 'x' },
      {
        id: created.id,
        title: 'Get One',
        year: 1999,
        synopsis: 'A movie to read.',
        original_title: null,
        directors: [],
        genres: [],
        runtime: null,
        imdb_id: null,
        average_score: null,
        review_count: 0,
        rating_count: 0,
        rating_histogram: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        poster_url: null,
        trailer_url: null,
        created_at: 'x',
        updated_at: 'x',
      },
    );
  });

  it('answers 404 {"detail":"Movie not found"} for an unknown id', async () => {
    const res = await call('GET', '/api/v1/movies/987654');
    assert.equal(res.statusCode, 404);
    assert.deepEqual(res.json(), NOT_FOUND);
  });

  it('answers 422 at ["path","id"] for an id that is not a positive integer', async () => {
    for (const id of ['abc', '0', '-3', '1.5', '99999999999999']) {
      assertInvalid(await call('GET', `/api/v1/movies/${id}`), [['path', 'id']]);
    }
  });
});

describe('POST /api/v1/movies', () => {
  it('creates a movie: 201, Location, the full Movie, readable at its Location', async () => {
    const before = Date.now();
    const res = await post({ title: 'Created Movie', year: 2001, synopsis: 'Something happens.' });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.headers['content-type'], 'application/json');
    const movie = res.json();
    assertMovie(movie);
    assert.equal(res.headers.location, `/api/v1/movies/${movie.id}`);
    assert.equal(movie.title, 'Created Movie');
    assert.equal(movie.year, 2001);
    assert.equal(movie.synopsis, 'Something happens.');
    assert.equal(movie.average_score, null);
    assert.equal(movie.review_count, 0);
    assert.equal(movie.created_at, movie.updated_at);
    assert.ok(Date.parse(movie.created_at) >= before - 5 && Date.parse(movie.created_at) <= Date.now() + 5);

    const again = await call('GET', res.headers.location);
    assert.equal(again.statusCode, 200);
    assert.deepEqual(again.json(), movie);
  });

  it('stores omitted year and synopsis as null, and accepts explicit nulls', async () => {
    const omitted = await post({ title: 'Only A Title' });
    assert.equal(omitted.statusCode, 201, omitted.body);
    assert.equal(omitted.json<Movie>().year, null);
    assert.equal(omitted.json<Movie>().synopsis, null);

    const nulls = await post({ title: 'Explicit Nulls', year: null, synopsis: null });
    assert.equal(nulls.statusCode, 201, nulls.body);
    assert.equal(nulls.json<Movie>().year, null);
    assert.equal(nulls.json<Movie>().synopsis, null);
  });

  it('trims the title and refuses one that is only white space', async () => {
    const res = await post({ title: '   Padded Title \t ', year: 1990 });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json<Movie>().title, 'Padded Title');

    const count = await movieCount();
    for (const title of [' ', '   \t\n ']) {
      assertInvalid(await post({ title, year: 1990 }), [['body', 'title']]);
    }
    // Only white space is invalid like any other field: listed together with the others.
    assertInvalid(await post({ title: '   ', year: 1800 }), [
      ['body', 'title'],
      ['body', 'year'],
    ]);
    assert.equal(await movieCount(), count, 'nothing is written on a 422');

    // The length limit applies to the trimmed title: surrounding spaces do not count.
    const long = await post({ title: `  ${'L'.repeat(200)}\t`, year: 1990 });
    assert.equal(long.statusCode, 201, long.body);
    assert.equal(long.json<Movie>().title, 'L'.repeat(200));
  });

  it('accepts the boundaries of every field', async () => {
    for (const body of [
      { title: 'x' },
      { title: 'T'.repeat(200), year: 1950 },
      { title: 'Year Min', year: 1878 },
      { title: 'Year Max', year: 2100 },
      { title: 'Long Synopsis', synopsis: 's'.repeat(5000) },
      { title: 'Empty Synopsis', synopsis: '' },
      { title: '🎬'.repeat(200) }, // characters, not UTF-16 units
    ]) {
      const res = await post(body);
      assert.equal(res.statusCode, 201, `${JSON.stringify(body).slice(0, 60)}: ${res.body}`);
      const movie = res.json<Movie>();
      assert.equal(movie.title, body.title);
      assert.equal(movie.year, body.year ?? null);
      assert.equal(movie.synopsis, body.synopsis ?? null);
    }
  });

  it('refuses values out of range, each at its own field', async () => {
    const count = await movieCount();
    const cases: [unknown, string][] = [
      [{ title: '' }, 'title'],
      [{ title: 'T'.repeat(201) }, 'title'],
      [{ title: '🎬'.repeat(201) }, 'title'],
      [{ title: 'Year Low', year: 1877 }, 'year'],
      [{ title: 'Year High', year: 2101 }, 'year'],
      [{ title: 'Year Zero', year: 0 }, 'year'],
      [{ title: 'Long Synopsis 2', synopsis: 's'.repeat(5001) }, 'synopsis'],
    ];
    for (const [body, field] of cases) assertInvalid(await post(body), [['body', field]]);
    assert.equal(await movieCount(), count);
  });

  it('refuses a missing title', async () => {
    const res = await post({ year: 2000, synopsis: 'No title' });
    assertInvalid(res, [['body', 'title']]);
    assert.equal(res.json<{ detail: { type: string }[] }>().detail[0]!.type, 'missing');
  });

  it('lists every invalid field at once', async () => {
    assertInvalid(await post({ title: '', year: 1800, synopsis: 's'.repeat(5001) }), [
      ['body', 'title'],
      ['body', 'year'],
      ['body', 'synopsis'],
    ]);
    assertInvalid(await post({ year: 'abc', synopsis: 42 }), [
      ['body', 'title'],
      ['body', 'year'],
      ['body', 'synopsis'],
    ]);
  });

  it('refuses wrong JSON types without coercing them', async () => {
    const count = await movieCount();
    const cases: [unknown, string][] = [
      [{ title: 'Typed', year: 'abc' }, 'year'],
      [{ title: 'Typed', year: '1999' }, 'year'],
      [{ title: 'Typed', year: 1999.5 }, 'year'],
      [{ title: 'Typed', year: true }, 'year'],
      [{ title: 5 }, 'title'],
      [{ title: null }, 'title'],
      [{ title: ['Typed'] }, 'title'],
      [{ title: 'Typed', synopsis: 7 }, 'synopsis'],
    ];
    for (const [body, field] of cases) assertInvalid(await post(body), [['body', field]]);
    assert.equal(await movieCount(), count);
  });

  it('ignores unknown fields, including server-owned ones', async () => {
    const res = await post({
      title: 'Extra Fields',
      year: 2005,
      colour: 'blue',
      id: 424242,
      review_count: 99,
      average_score: 5,
      poster_url: 'http://evil.example/p.jpg',
      created_at: '1999-01-01T00:00:00.000Z',
    });
    assert.equal(res.statusCode, 201, res.body);
    const movie = res.json();
    assertMovie(movie);
    assert.notEqual(movie.id, 424242);
    assert.equal(movie.review_count, 0);
    assert.equal(movie.average_score, null);
    assert.notEqual(movie.created_at, '1999-01-01T00:00:00.000Z');
  });

  it('answers 409 for the same title (ignoring case and surrounding spaces) and year', async () => {
    const original = await post({ title: 'The Duplicate', year: 1984 });
    assert.equal(original.statusCode, 201);
    const count = await movieCount();
    for (const title of ['The Duplicate', 'THE DUPLICATE', 'the duplicate', '  The dUplicate  ']) {
      const res = await post({ title, year: 1984, synopsis: 'another' });
      assert.equal(res.statusCode, 409, title);
      assert.deepEqual(res.json(), DUPLICATE);
    }
    assert.equal(await movieCount(), count, 'nothing is written on a 409');

    // Same title, other year (or no year): a different movie.
    assert.equal((await post({ title: 'The Duplicate', year: 1985 })).statusCode, 201);
    assert.equal((await post({ title: 'The Duplicate' })).statusCode, 201);
    // A missing year counts as a value: a second one without a year collides.
    const noYear = await post({ title: 'the DUPLICATE', year: null });
    assert.equal(noYear.statusCode, 409);
    assert.deepEqual(noYear.json(), DUPLICATE);
    // Case is ignored beyond ASCII too.
    assert.equal((await post({ title: 'Amélie', year: 2001 })).statusCode, 201);
    const accented = await post({ title: 'AMÉLIE', year: 2001 });
    assert.equal(accented.statusCode, 409);
    assert.deepEqual(accented.json(), DUPLICATE);
    // A title that merely contains the other is not a duplicate.
    assert.equal((await post({ title: 'The Duplicate 2', year: 1984 })).statusCode, 201);
  });

  it('lets exactly one of twenty concurrent identical creates win', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => post({ title: 'Race Condition', year: 2020 })));
    const statuses = results.map((r) => r.statusCode);
    assert.equal(statuses.filter((s) => s === 201).length, 1, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 409).length, 19, statuses.join(','));
    for (const r of results.filter((r) => r.statusCode === 409)) assert.deepEqual(r.json(), DUPLICATE);
    const rows = await ctx.db.selectFrom('movies').select('id').where('title_key', '=', 'race condition').execute();
    assert.equal(rows.length, 1);
  });
});

describe('movie writes are for administrators only', () => {
  let movieId: number;
  before(async () => {
    movieId = (await createMovie(ctx.app, admin, { title: 'Guarded', year: 2000 })).id;
  });

  const writes = (): [Method, string, unknown][] => [
    ['POST', '/api/v1/movies', { title: 'Sneaky', year: 2000 }],
    ['PUT', `/api/v1/movies/${movieId}`, { title: 'Sneaky', year: 2000 }],
    ['PATCH', `/api/v1/movies/${movieId}`, { title: 'Sneaky' }],
    ['DELETE', `/api/v1/movies/${movieId}`, undefined],
  ];

  async function unchanged(): Promise<void> {
    const res = await call('GET', `/api/v1/movies/${movieId}`);
    assert.equal(res.statusCode, 200);
    assert.equal(res.json<Movie>().title, 'Guarded');
    assert.equal(
      (await ctx.db.selectFrom('movies').select('id').where('title_key', '=', 'sneaky').execute()).length,
      0,
    );
  }

  it('answers 401 with WWW-Authenticate: Bearer to anonymous callers', async () => {
    for (const [method, url, payload] of writes()) {
      const res = await call(method, url, { payload });
      assert.equal(res.statusCode, 401, `${method} ${url}`);
      assert.equal(res.headers['www-authenticate'], 'Bearer');
      assert.deepEqual(res.json(), { detail: 'Not authenticated', code: 'not_authenticated' });
    }
    await unchanged();
  });

  it('answers 401 to an unknown bearer token', async () => {
    for (const [method, url, payload] of writes()) {
      const res = await call(method, url, { payload, token: 'not-a-real-token' });
      assert.equal(res.statusCode, 401, `${method} ${url}`);
      assert.equal(res.headers['www-authenticate'], 'Bearer');
      assert.equal(typeof res.json<{ detail: string }>().detail, 'string');
    }
    await unchanged();
  });

  it('answers 403 to a signed-in user who is not an administrator', async () => {
    for (const [method, url, payload] of writes()) {
      const res = await call(method, url, { payload, token: alice });
      assert.equal(res.statusCode, 403, `${method} ${url}`);
      assert.deepEqual(Object.keys(res.json()).filter((k) => k !== 'ctx').sort(), ['code', 'detail']);
      assert.equal(typeof res.json<{ detail: string }>().detail, 'string');
    }
    await unchanged();
  });

  it('checks the caller before the body: an invalid body still answers 401 / 403', async () => {
    assert.equal((await call('POST', '/api/v1/movies', { payload: { title: '' } })).statusCode, 401);
    assert.equal((await post({ title: '' }, alice)).statusCode, 403);
    assert.equal((await call('PATCH', `/api/v1/movies/${movieId}`, { token: alice, payload: { year: 'x' } })).statusCode, 403);
  });
});

describe('PUT /api/v1/movies/{id}', () => {
  it('replaces every editable field and answers the movie', async () => {
    const created = (await post({ title: 'Before Put', year: 1970, synopsis: 'old' })).json<Movie>();
    await sleep(5);
    const res = await call('PUT', `/api/v1/movies/${created.id}`, { token: admin, payload: { title: '  After Put ', year: 1971, synopsis: 'new' } });
    assert.equal(res.statusCode, 200, res.body);
    const movie = res.json();
    assertMovie(movie);
    assert.equal(movie.id, created.id);
    assert.equal(movie.title, 'After Put');
    assert.equal(movie.year, 1971);
    assert.equal(movie.synopsis, 'new');
    assert.equal(movie.created_at, created.created_at);
    assert.ok(movie.updated_at > created.updated_at, 'updated_at moves');
    assert.deepEqual((await call('GET', `/api/v1/movies/${created.id}`)).json(), movie);
  });

  it('sets an omitted year and synopsis to null (full replace)', async () => {
    const created = (await post({ title: 'Put Nulls', year: 1972, synopsis: 'will vanish' })).json<Movie>();
    const res = await call('PUT', `/api/v1/movies/${created.id}`, { token: admin, payload: { title: 'Put Nulls' } });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json<Movie>().year, null);
    assert.equal(res.json<Movie>().synopsis, null);
  });

  it('requires the title and validates like POST', async () => {
    const created = (await post({ title: 'Put Invalid', year: 1973 })).json<Movie>();
    const url = `/api/v1/movies/${created.id}`;
    assertInvalid(await call('PUT', url, { token: admin, payload: { year: 1974 } }), [['body', 'title']]);
    assertInvalid(await call('PUT', url, { token: admin, payload: { title: '  ', year: 1974 } }), [['body', 'title']]);
    assertInvalid(await call('PUT', url, { token: admin, payload: { title: '', year: 3000, synopsis: false } }), [
      ['body', 'title'],
      ['body', 'year'],
      ['body', 'synopsis'],
    ]);
    assertInvalid(await call('PUT', '/api/v1/movies/abc', { token: admin, payload: { title: 'x' } }), [['path', 'id']]);
    const after = (await call('GET', url)).json<Movie>();
    assert.deepEqual(after, created, 'unchanged after refused writes');
  });

  it('keeps review_count and average_score: they are not editable fields', async () => {
    const movie = await createMovie(ctx.app, admin, { title: 'Put Keeps Scores', year: 1975 });
    await review(reviewers[0]!, movie.id, 5);
    await review(reviewers[1]!, movie.id, 4);
    await review(reviewers[2]!, movie.id, 4);
    const put = await call('PUT', `/api/v1/movies/${movie.id}`, {
      token: admin,
      payload: { title: 'Put Keeps Scores', year: 1976, review_count: 0, average_score: 1 },
    });
    assert.equal(put.statusCode, 200, put.body);
    assert.equal(put.json<Movie>().review_count, 3);
    assert.equal(put.json<Movie>().average_score, 4.33);
    const patch = await call('PATCH', `/api/v1/movies/${movie.id}`, { token: admin, payload: { synopsis: 'x', review_count: 7 } });
    assert.equal(patch.statusCode, 200, patch.body);
    assert.equal(patch.json<Movie>().review_count, 3);
    assert.equal(patch.json<Movie>().average_score, 4.33);
  });

  it('answers 404 for an unknown movie', async () => {
    const res = await call('PUT', '/api/v1/movies/987654', { token: admin, payload: { title: 'Ghost' } });
    assert.equal(res.statusCode, 404);
    assert.deepEqual(res.json(), NOT_FOUND);
  });

  it('answers 409 when the new title and year collide with another movie, but not with itself', async () => {
    await post({ title: 'Put Target', year: 1980 });
    const other = (await post({ title: 'Put Mover', year: 1981, synopsis: 'keep me' })).json<Movie>();
    const res = await call('PUT', `/api/v1/movies/${other.id}`, { token: admin, payload: { title: 'put TARGET', year: 1980 } });
    assert.equal(res.statusCode, 409);
    assert.deepEqual(res.json(), DUPLICATE);
    assert.deepEqual((await call('GET', `/api/v1/movies/${other.id}`)).json(), other, 'nothing written on 409');

    // An omitted year is null, and collides with a movie of that title without a year.
    await post({ title: 'Put Target' });
    const nullYear = await call('PUT', `/api/v1/movies/${other.id}`, { token: admin, payload: { title: 'Put Target' } });
    assert.equal(nullYear.statusCode, 409);
    assert.deepEqual(nullYear.json(), DUPLICATE);
    assert.deepEqual((await call('GET', `/api/v1/movies/${other.id}`)).json(), other);

    // Re-sending its own title and year, or changing only the case, is no collision.
    const same = await call('PUT', `/api/v1/movies/${other.id}`, { token: admin, payload: { title: 'PUT MOVER', year: 1981 } });
    assert.equal(same.statusCode, 200, same.body);
    assert.equal(same.json<Movie>().title, 'PUT MOVER');
  });
});

describe('PATCH /api/v1/movies/{id}', () => {
  it('changes only the fields sent', async () => {
    const created = (await post({ title: 'Patch Me', year: 1960, synopsis: 'original' })).json<Movie>();
    const url = `/api/v1/movies/${created.id}`;

    await sleep(5);
    const synopsis = await call('PATCH', url, { token: admin, payload: { synopsis: 'changed' } });
    assert.equal(synopsis.statusCode, 200, synopsis.body);
    assertMovie(synopsis.json());
    assert.deepEqual(
      { ...synopsis.json<Movie>(), updated_at: 'x' },
      { ...created, synopsis: 'changed', updated_at: 'x' },
    );
    assert.ok(synopsis.json<Movie>().updated_at > created.updated_at);

    const year = await call('PATCH', url, { token: admin, payload: { year: null } });
    assert.equal(year.statusCode, 200);
    assert.equal(year.json<Movie>().year, null);
    assert.equal(year.json<Movie>().title, 'Patch Me');
    assert.equal(year.json<Movie>().synopsis, 'changed');

    const title = await call('PATCH', url, { token: admin, payload: { title: '  Patched  ' } });
    assert.equal(title.statusCode, 200);
    assert.equal(title.json<Movie>().title, 'Patched');
    assert.equal(title.json<Movie>().year, null);
    assert.equal(title.json<Movie>().synopsis, 'changed');

    // Nothing sent, or nothing different: nothing changes, updated_at included.
    await sleep(5);
    const nothing = await call('PATCH', url, { token: admin, payload: {} });
    assert.equal(nothing.statusCode, 200);
    assert.deepEqual(nothing.json(), title.json());
    const same = await call('PATCH', url, { token: admin, payload: { title: 'Patched', year: null } });
    assert.deepEqual(same.json(), title.json());
    const replaced = await call('PUT', url, { token: admin, payload: { title: 'Patched', synopsis: 'changed' } });
    assert.deepEqual(replaced.json(), title.json());
    assert.deepEqual((await call('GET', url)).json(), title.json());
  });

  it('validates the fields sent', async () => {
    const created = (await post({ title: 'Patch Invalid', year: 1961 })).json<Movie>();
    const url = `/api/v1/movies/${created.id}`;
    assertInvalid(await call('PATCH', url, { token: admin, payload: { title: '   ' } }), [['body', 'title']]);
    assertInvalid(await call('PATCH', url, { token: admin, payload: { title: '   ', year: 2200 } }), [
      ['body', 'title'],
      ['body', 'year'],
    ]);
    assertInvalid(await call('PATCH', url, { token: admin, payload: { title: null } }), [['body', 'title']]);
    assertInvalid(await call('PATCH', url, { token: admin, payload: { year: 1877 } }), [['body', 'year']]);
    assertInvalid(await call('PATCH', url, { token: admin, payload: { title: 'T'.repeat(201), year: 'abc', synopsis: 's'.repeat(5001) } }), [
      ['body', 'title'],
      ['body', 'year'],
      ['body', 'synopsis'],
    ]);
    assert.deepEqual((await call('GET', url)).json(), created);
  });

  it('answers 404 for an unknown movie', async () => {
    const res = await call('PATCH', '/api/v1/movies/987654', { token: admin, payload: { year: 2000 } });
    assert.equal(res.statusCode, 404);
    assert.deepEqual(res.json(), NOT_FOUND);
  });

  it('answers 409 when the change makes it collide, by title or by year', async () => {
    await post({ title: 'Patch Target', year: 1990 });
    const mover = (await post({ title: 'Patch Mover', year: 1991 })).json<Movie>();
    const url = `/api/v1/movies/${mover.id}`;

    // Title alone collides, because the year already matches.
    await post({ title: 'Patch Target', year: 1991 });
    const byTitle = await call('PATCH', url, { token: admin, payload: { title: 'PATCH target' } });
    assert.equal(byTitle.statusCode, 409);
    assert.deepEqual(byTitle.json(), DUPLICATE);

    // Year alone collides, because the title already matches.
    await post({ title: 'Patch Mover', year: 1995 });
    const byYear = await call('PATCH', url, { token: admin, payload: { year: 1995 } });
    assert.equal(byYear.statusCode, 409);
    assert.deepEqual(byYear.json(), DUPLICATE);

    // A null year collides with a null year.
    await post({ title: 'Patch Mover' });
    const byNull = await call('PATCH', url, { token: admin, payload: { year: null } });
    assert.equal(byNull.statusCode, 409);
    assert.deepEqual(byNull.json(), DUPLICATE);

    assert.deepEqual((await call('GET', url)).json(), mover, 'nothing written on 409');
  });
});

describe('DELETE /api/v1/movies/{id}', () => {
  it('answers 204, then the movie and its reviews are gone; other movies keep theirs', async () => {
    const doomed = await createMovie(ctx.app, admin, { title: 'Doomed', year: 2011 });
    const survivor = await createMovie(ctx.app, admin, { title: 'Survivor', year: 2011 });
    const gone = [await review(reviewers[0]!, doomed.id, 4), await review(reviewers[1]!, doomed.id, 2)];
    const kept = await review(reviewers[0]!, survivor.id, 5);

    const res = await call('DELETE', `/api/v1/movies/${doomed.id}`, { token: admin });
    assert.equal(res.statusCode, 204);
    assert.equal(res.body, '');

    const get = await call('GET', `/api/v1/movies/${doomed.id}`);
    assert.equal(get.statusCode, 404);
    assert.deepEqual(get.json(), NOT_FOUND);
    for (const r of gone) {
      const gr = await call('GET', `/api/v1/reviews/${r.id}`);
      assert.equal(gr.statusCode, 404);
      assert.deepEqual(gr.json(), { detail: 'Review not found', code: 'review_not_found' });
    }
    const list = await call('GET', `/api/v1/movies/${doomed.id}/reviews`);
    assert.equal(list.statusCode, 404);
    assert.deepEqual(list.json(), NOT_FOUND);
    assert.equal((await ctx.db.selectFrom('reviews').select('id').where('movie_id', '=', doomed.id).execute()).length, 0);

    assert.equal((await call('GET', `/api/v1/reviews/${kept.id}`)).statusCode, 200);
    const survivorNow = (await call('GET', `/api/v1/movies/${survivor.id}`)).json<Movie>();
    assert.equal(survivorNow.review_count, 1);
    assert.equal(survivorNow.average_score, 5);

    // The title and year are free again.
    assert.equal((await post({ title: 'Doomed', year: 2011 })).statusCode, 201);
  });

  it('answers 404 for a movie already deleted or never created, and 422 for a bad id', async () => {
    const movie = await createMovie(ctx.app, admin, { title: 'Delete Twice' });
    assert.equal((await call('DELETE', `/api/v1/movies/${movie.id}`, { token: admin })).statusCode, 204);
    const again = await call('DELETE', `/api/v1/movies/${movie.id}`, { token: admin });
    assert.equal(again.statusCode, 404);
    assert.deepEqual(again.json(), NOT_FOUND);
    const never = await call('DELETE', '/api/v1/movies/987654', { token: admin });
    assert.equal(never.statusCode, 404);
    assert.deepEqual(never.json(), NOT_FOUND);
    assertInvalid(await call('DELETE', '/api/v1/movies/abc', { token: admin }), [['path', 'id']]);
  });
});

describe('GET /api/v1/movies: search and sort', () => {
  // Titles, years and review scores chosen so that every sort key gives a different order.
  const catalogue = [
    { title: 'sortcat Charlie', year: 1999, scores: [5, 5] }, // avg 5,    2 reviews
    { title: 'Sortcat alpha', year: null, scores: [3, 4, 2, 3] }, // avg 3,    4 reviews
    { title: 'SORTCAT Bravo', year: 1950, scores: [] }, // avg null, 0 reviews
    { title: 'Sortcat delta', year: 2010, scores: [4] }, // avg 4,    1 review
    { title: 'sortcat Echo', year: 1878, scores: [1, 2, 2] }, // avg 1.67, 3 reviews
  ];
  const byId: string[] = catalogue.map((m) => m.title);

  before(async () => {
    for (const { title, year, scores } of catalogue) {
      const movie = await createMovie(ctx.app, admin, { title, year });
      for (const [i, score] of scores.entries()) await review(reviewers[i]!, movie.id, score);
    }
  });

  const list = (query: string) => call('GET', `/api/v1/movies?${query}`);

  it('answers a bare JSON array of full Movies', async () => {
    const res = await list('q=sortcat');
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    const body: unknown = res.json();
    assert.ok(Array.isArray(body));
    for (const movie of body) assertMovie(movie);
    const charlie = (body as Movie[]).find((m) => m.title === 'sortcat Charlie')!;
    assert.equal(charlie.average_score, 5);
    assert.equal(charlie.review_count, 2);
    const echo = (body as Movie[]).find((m) => m.title === 'sortcat Echo')!;
    assert.equal(echo.average_score, 1.67);
    const bravo = (body as Movie[]).find((m) => m.title === 'SORTCAT Bravo')!;
    assert.equal(bravo.average_score, null);
    assert.equal(bravo.review_count, 0);
  });

  it('q finds every word as the start of a word of the title, ignoring case and accents', async () => {
    const q = (text: string) => list(`q=${encodeURIComponent(text)}&sort=id`).then(titles);
    assert.deepEqual(await q('sortcat'), byId);
    assert.deepEqual(await q('SORTCAT'), byId);
    assert.deepEqual(await q('SORTc'), byId);
    assert.deepEqual(await q('cat'), []); // not the start of a word
    assert.deepEqual(await q('ch sortcat'), ['sortcat Charlie']); // any order
    assert.deepEqual(await q('DEL'), ['Sortcat delta']);
    assert.deepEqual(await q('AMÉL'), ['Amélie']); // beyond ASCII
    assert.deepEqual(await q('amel'), ['Amélie']); // without its accent
    const none = await list('q=no-such-title-anywhere');
    assert.deepEqual(none.json(), []);
    assert.equal(none.headers['x-total-count'], '0');
  });

  it('an empty q (a submitted empty search box) means no filter', async () => {
    const all = await list('');
    const empty = await list('q=');
    assert.equal(empty.statusCode, 200);
    assert.deepEqual(titles(empty), titles(all));
    assert.equal(empty.headers['x-total-count'], all.headers['x-total-count']);
  });

  it('q reads punctuation and search operators as text: only its words are searched', async () => {
    for (const title of ['Wild 100% Cat', 'Wild 1000 Cat', 'Wild snake_case', 'Wild snakeXcase', 'Wild back\\slash', 'Wild backXslash']) {
      await createMovie(ctx.app, admin, { title });
    }
    const q = (text: string) => list(`q=${encodeURIComponent(text)}&sort=id`).then(titles);
    assert.deepEqual(await q('100%'), ['Wild 100% Cat', 'Wild 1000 Cat']); // the word 100, as a prefix
    assert.deepEqual(await q('snake_case'), ['Wild snake_case']);
    assert.deepEqual(await q('back\\slash'), ['Wild back\\slash']);
    assert.deepEqual(await q('"wild" (cat*) OR'), []); // OR is a word to find, as the others
    assert.deepEqual(await q('"wild" AND:(cat*)'), []);
    assert.deepEqual(await q('"wild" (cat*)'), ['Wild 100% Cat', 'Wild 1000 Cat']);
    assert.deepEqual(await q('NEAR(wild cat)'), []);
    assert.deepEqual(await q('wild%cat'), ['Wild 100% Cat', 'Wild 1000 Cat']);
    for (const only of ['%', '_', '"', '*', ':', '&', '|', '!', '()', '"*:&|!()-^~\\']) {
      const res = await list(`q=${encodeURIComponent(only)}`);
      assert.equal(res.statusCode, 200, only);
      assert.deepEqual(res.json(), [], only); // no word, nothing to find
      assert.equal(res.headers['x-total-count'], '0');
    }
    assert.deepEqual(await q('Wild'), ['Wild 100% Cat', 'Wild 1000 Cat', 'Wild snake_case', 'Wild snakeXcase', 'Wild back\\slash', 'Wild backXslash']);
  });

  it('sort=id is ascending by default; order=desc reverses', async () => {
    assert.deepEqual(titles(await list('q=sortcat&sort=id')), byId);
    assert.deepEqual(titles(await list('q=sortcat&sort=id&order=asc')), byId);
    assert.deepEqual(titles(await list('q=sortcat&sort=id&order=desc')), [...byId].reverse());
  });

  it('with q and no sort: best match first, ties by id (however many ratings each has)', async () => {
    assert.deepEqual(titles(await list('q=sortcat')), byId);
  });

  it('sort=title is alphabetical ignoring case, ascending by default', async () => {
    const alphabetical = ['Sortcat alpha', 'SORTCAT Bravo', 'sortcat Charlie', 'Sortcat delta', 'sortcat Echo'];
    assert.deepEqual(titles(await list('q=sortcat&sort=title')), alphabetical);
    assert.deepEqual(titles(await list('q=sortcat&sort=title&order=asc')), alphabetical);
    assert.deepEqual(titles(await list('q=sortcat&sort=title&order=desc')), [...alphabetical].reverse());
  });

  it('sort=year puts movies without a year last, in both directions', async () => {
    assert.deepEqual(titles(await list('q=sortcat&sort=year')), ['sortcat Echo', 'SORTCAT Bravo', 'sortcat Charlie', 'Sortcat delta', 'Sortcat alpha']);
    assert.deepEqual(titles(await list('q=sortcat&sort=year&order=desc')), [
      'Sortcat delta',
      'sortcat Charlie',
      'SORTCAT Bravo',
      'sortcat Echo',
      'Sortcat alpha',
    ]);
  });

  it('sort=rating orders by average score, best first by default; no reviews counts as 0', async () => {
    const best = ['sortcat Charlie', 'Sortcat delta', 'Sortcat alpha', 'sortcat Echo', 'SORTCAT Bravo'];
    const res = await list('q=sortcat&sort=rating');
    assert.deepEqual(titles(res), best);
    assert.deepEqual(
      res.json<Movie[]>().map((m) => m.average_score),
      [5, 4, 3, 1.67, null],
    );
    assert.deepEqual(titles(await list('q=sortcat&sort=rating&order=desc')), best);
    assert.deepEqual(titles(await list('q=sortcat&sort=rating&order=asc')), [...best].reverse());
  });

  it('sort=rating follows the scores as they change', async () => {
    // Bravo gets a 5; Charlie's second reviewer edits 5 → 2, so Charlie drops to (5 + 2) / 2 = 3.5.
    const bravo = (await list('q=sortcat%20bravo')).json<Movie[]>()[0]!;
    await review(reviewers[0]!, bravo.id, 5);
    const charlieReviews = await call('GET', `/api/v1/movies/${(await list('q=sortcat%20charlie')).json<Movie[]>()[0]!.id}/reviews?order=desc`);
    const second = charlieReviews.json<{ id: number; score: number }[]>()[0]!; // newest first: reviewer 2's
    const edit = await call('PATCH', `/api/v1/reviews/${second.id}`, { token: reviewers[1]!, payload: { score: 2 } });
    assert.equal(edit.statusCode, 200, edit.body);

    const res = await list('q=sortcat&sort=rating');
    assert.deepEqual(titles(res), ['SORTCAT Bravo', 'Sortcat delta', 'sortcat Charlie', 'Sortcat alpha', 'sortcat Echo']);
    assert.deepEqual(
      res.json<Movie[]>().map((m) => m.average_score),
      [5, 4, 3.5, 3, 1.67],
    );

    // Undo, so the other tests keep their catalogue.
    assert.equal((await call('PATCH', `/api/v1/reviews/${second.id}`, { token: reviewers[1]!, payload: { score: 5 } })).statusCode, 200);
    const mine = (await call('GET', `/api/v1/reviews?movie_id=${bravo.id}`)).json<{ id: number }[]>()[0]!;
    assert.equal((await call('DELETE', `/api/v1/reviews/${mine.id}`, { token: reviewers[0]! })).statusCode, 204);
    assert.deepEqual(titles(await list('q=sortcat&sort=rating')), ['sortcat Charlie', 'Sortcat delta', 'Sortcat alpha', 'sortcat Echo', 'SORTCAT Bravo']);
  });

  it('sort=reviews orders by review count, most reviewed first by default', async () => {
    const most = ['Sortcat alpha', 'sortcat Echo', 'sortcat Charlie', 'Sortcat delta', 'SORTCAT Bravo'];
    const res = await list('q=sortcat&sort=reviews');
    assert.deepEqual(titles(res), most);
    assert.deepEqual(
      res.json<Movie[]>().map((m) => m.review_count),
      [4, 3, 2, 1, 0],
    );
    assert.deepEqual(titles(await list('q=sortcat&sort=reviews&order=desc')), most);
    assert.deepEqual(titles(await list('q=sortcat&sort=reviews&order=asc')), [...most].reverse());
  });

  it('sort=created orders by creation time, oldest first by default', async () => {
    assert.deepEqual(titles(await list('q=sortcat&sort=created')), byId);
    assert.deepEqual(titles(await list('q=sortcat&sort=created&order=desc')), [...byId].reverse());
    const res = (await list('q=sortcat&sort=created')).json<Movie[]>();
    for (let i = 1; i < res.length; i++) assert.ok(res[i - 1]!.created_at <= res[i]!.created_at);
  });

  it('answers 422 at ["query", ...] for an unknown sort or order', async () => {
    for (const sort of ['name', 'average_score', 'TITLE', '']) assertQueryError(await list(`sort=${sort}`), ['sort']);
    for (const order of ['up', 'ASC', 'descending', '']) assertQueryError(await list(`order=${order}`), ['order']);
    assertQueryError(await list('sort=bogus&order=bogus&limit=0'), ['limit', 'sort', 'order']);
  });
});

describe('GET /api/v1/movies: pagination', () => {
  const ids: number[] = [];
  before(async () => {
    for (let i = 1; i <= 25; i++) {
      ids.push((await createMovie(ctx.app, admin, { title: `Pagecat ${String(i).padStart(2, '0')}`, year: 1900 + i })).id);
    }
  });

  it('pages the default (id) order', async () => {
    await checkPagination(ctx.app, '/api/v1/movies?q=pagecat', ids);
  });

  it('keeps q, sort and order in every link', async () => {
    await checkPagination(ctx.app, '/api/v1/movies?q=PAGECAT&sort=year&order=desc', [...ids].reverse());
    await checkPagination(ctx.app, '/api/v1/movies?sort=title&q=pagecat%20', ids);
  });

  it('pages the whole catalogue consistently with X-Total-Count', async () => {
    const res = await call('GET', '/api/v1/movies?limit=100');
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['x-total-count'], String(await movieCount()));
    assert.equal(res.json<Movie[]>().length, Math.min(100, await movieCount()));
  });

  it('an empty result has first and last links only', async () => {
    await checkEmptyPage(ctx.app, '/api/v1/movies?q=zzz-nothing');
  });
});
