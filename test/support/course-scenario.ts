import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import type { Review } from '../../src/modules/reviews/index.js';
import { MOVIE_KEYS, REVIEW_KEYS, USER_KEYS } from './fields.js';

/*
 * A student of the course "servicios web con Python y FastAPI" runs their `requests` clients
 * against Butaca. Each request below is what those clients put on the wire: `json=` bodies as
 * Python's json.dumps writes them, `data=` as a urlencoded form, the headers `requests` always adds,
 * and, for the cookie login, a requests.Session that keeps the cookie it was given.
 *
 * The scenario only sees a `send` function, so the same requests and assertions run in-process
 * (test/course.test.ts, through app.inject) and over the network through a reverse proxy
 * (scripts/course-through.ts, behind nginx).
 */

export interface ScenarioRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  payload?: string;
}

export interface ScenarioResponse {
  statusCode: number;
  /** Lower-case names; Set-Cookie as a list, every other header as one string. */
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export type Send = (request: ScenarioRequest) => Promise<ScenarioResponse>;

export interface ScenarioOptions {
  /** A bearer token of an administrator, who puts the movie in the catalogue. */
  adminToken: string;
  /**
   * Whether the client reached Butaca over HTTPS (directly, or through a proxy that says so with
   * X-Forwarded-Proto): the session cookie is then `__Host-butaca_session` and Secure.
   */
  https: boolean;
}

/** `app.inject` as a Send: the in-process client of the tests. */
export function injectSend(app: FastifyInstance): Send {
  return async ({ method, url, headers, payload }) => {
    const res = await app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });
    const out: ScenarioResponse['headers'] = {};
    for (const [name, value] of Object.entries(res.headers)) {
      if (value === undefined) continue;
      out[name] = Array.isArray(value) ? value.map(String) : name === 'set-cookie' ? [String(value)] : String(value);
    }
    return { statusCode: res.statusCode, headers: out, body: res.body };
  };
}

export const PYTHON_HEADERS = {
  'user-agent': 'python-requests/2.31.0',
  'accept-encoding': 'gzip, deflate',
  accept: '*/*',
  connection: 'keep-alive',
};

/**
 * `requests.post(url, json=body, headers=extra)`: json.dumps with its defaults, ", " and ": " as
 * separators and ensure_ascii (every non-ASCII character written as a \uXXXX escape).
 */
function pythonJson(body: Record<string, unknown>, extra: Record<string, string> = {}): { headers: Record<string, string>; payload: string } {
  const text = `{${Object.entries(body)
    .map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`)
    .join(', ')}}`.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return {
    headers: { ...PYTHON_HEADERS, ...extra, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) },
    payload: text,
  };
}

/** `requests.post(url, data=fields)`: a urlencoded form. */
function pythonForm(fields: Record<string, string>): { headers: Record<string, string>; payload: string } {
  const text = new URLSearchParams(fields).toString();
  return { headers: { ...PYTHON_HEADERS, 'content-type': 'application/x-www-form-urlencoded' }, payload: text };
}

export interface SetCookie {
  name: string;
  value: string;
  /** Attribute names in lower case; flags (HttpOnly, Secure) map to ''. */
  attributes: Record<string, string>;
}

/** The cookies a response sets, parsed as a requests.Session's cookie jar reads them. */
export function setCookies(res: ScenarioResponse): SetCookie[] {
  const raw = res.headers['set-cookie'];
  const lines = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return lines.map((line) => {
    const [pair = '', ...attrs] = line.split(';');
    const eq = pair.indexOf('=');
    const attributes: Record<string, string> = {};
    for (const attr of attrs) {
      const at = attr.indexOf('=');
      const key = (at < 0 ? attr : attr.slice(0, at)).trim().toLowerCase();
      attributes[key] = at < 0 ? '' : attr.slice(at + 1).trim();
    }
    return { name: pair.slice(0, eq).trim(), value: decodeURIComponent(pair.slice(eq + 1).trim()), attributes };
  });
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
// The course's fields, each with its value checked below, and only the additions community.md names.
const USER_FIELDS = USER_KEYS;
const TOKEN_FIELDS = ['access_token', 'expires_in', 'token_type'];
const REVIEW_FIELDS = REVIEW_KEYS;
const MOVIE_FIELDS = MOVIE_KEYS;

function assertReview(value: unknown, expected: Partial<Review>): Review {
  const review = value as Review;
  assert.deepEqual(Object.keys(review).sort(), REVIEW_FIELDS);
  assert.deepEqual(Object.keys(review.movie).sort(), ['id', 'title']);
  assert.equal(typeof review.id, 'number');
  assert.match(review.created_at, ISO_UTC);
  assert.match(review.updated_at, ISO_UTC);
  for (const [key, want] of Object.entries(expected)) assert.deepEqual(review[key as keyof Review], want, key);
  return review;
}

function assertJson(res: ScenarioResponse, status: number): unknown {
  assert.equal(res.statusCode, status, res.body);
  assert.equal(res.headers['content-type'], 'application/json');
  return JSON.parse(res.body);
}

/**
 * The catalogue the student finds: one movie, put there by an administrator, already reviewed by
 * two classmates. Needs an empty database (the assertions count movies and reviews).
 */
async function catalogue(send: Send, adminToken: string): Promise<{ id: number; title: string }> {
  const created = await send({
    method: 'POST',
    url: '/api/v1/movies',
    ...pythonJson({ title: 'El laberinto del fauno', year: 2006, synopsis: 'Posguerra y fantasía.' }, { authorization: `Bearer ${adminToken}` }),
  });
  const movie = assertJson(created, 201) as { id: number; title: string };
  for (const classmate of ['companera_1', 'companero_2']) {
    const password = 'correct-horse-battery';
    assertJson(await send({ method: 'POST', url: '/api/v1/users', ...pythonJson({ username: classmate, password }) }), 201);
    const token = (assertJson(await send({ method: 'POST', url: '/auth', ...pythonForm({ username: classmate, password }) }), 200) as { access_token: string }).access_token;
    const res = await send({ method: 'POST', url: '/api/v1/reviews', ...pythonJson({ movie_id: movie.id, review: 'Muy buena', score: 4 }, { authorization: `Bearer ${token}` }) });
    assert.equal(res.statusCode, 201, res.body);
  }
  return movie;
}

/** Registers, gets a token, reviews, lists, edits, logs in with a cookie, deletes and logs out. */
export async function runCourseScenario(send: Send, options: ScenarioOptions): Promise<void> {
  const movie = await catalogue(send, options.adminToken);
  const cookieName = options.https ? '__Host-butaca_session' : 'butaca_session';
  const username = 'alumno_fastapi';
  const password = 'contraseña-segura-1';

  // 1. Register: requests.post(URL + '/api/v1/users', json={'username': ..., 'password': ...})
  const registration = pythonJson({ username, password });
  assert.equal(registration.payload, '{"username": "alumno_fastapi", "password": "contrase\\u00f1a-segura-1"}');
  const registered = await send({ method: 'POST', url: '/api/v1/users', ...registration });
  const user = assertJson(registered, 201) as { id: number; username: string; role: string; created_at: string };
  assert.deepEqual(Object.keys(user).sort(), USER_FIELDS);
  assert.equal(user.username, username);
  assert.equal(user.role, 'user');
  assert.equal(typeof user.id, 'number');
  assert.match(user.created_at, ISO_UTC);
  assert.equal(registered.headers.location, `/api/v1/users/${user.id}`);
  assert.equal(registered.body.includes(password), false);

  // 2. Token: requests.post(URL + '/auth', data={'username': ..., 'password': ...})
  const auth = await send({ method: 'POST', url: '/auth', ...pythonForm({ username, password }) });
  const tokenBody = assertJson(auth, 200) as { access_token: string; token_type: string; expires_in: number };
  assert.deepEqual(Object.keys(tokenBody).sort(), TOKEN_FIELDS);
  assert.equal(tokenBody.token_type, 'bearer');
  assert.equal(typeof tokenBody.access_token, 'string');
  assert.ok(tokenBody.access_token.length >= 32);
  assert.ok(Number.isInteger(tokenBody.expires_in) && tokenBody.expires_in > 0);
  assert.equal(auth.headers['cache-control'], 'no-store');
  const authHeader = { authorization: `Bearer ${tokenBody.access_token}` };

  // The catalogue the student sees.
  const movies = await send({ method: 'GET', url: '/api/v1/movies', headers: PYTHON_HEADERS });
  const movieList = assertJson(movies, 200) as Record<string, unknown>[];
  assert.equal(movieList.length, 1);
  assert.deepEqual(Object.keys(movieList[0]!).sort(), MOVIE_FIELDS);
  assert.equal(movieList[0]!.id, movie.id);
  assert.equal(movieList[0]!.review_count, 2);
  assert.equal(movieList[0]!.average_score, 4);

  // 3. Create a review with the bearer token.
  const created = await send({
    method: 'POST',
    url: '/api/v1/reviews',
    ...pythonJson({ movie_id: movie.id, review: 'Una obra maestra del cine fantástico', score: 5 }, authHeader),
  });
  const review = assertReview(assertJson(created, 201), {
    user_id: user.id,
    username,
    movie: { id: movie.id, title: 'El laberinto del fauno' },
    review: 'Una obra maestra del cine fantástico',
    score: 5,
  });
  assert.equal(review.created_at, review.updated_at);
  assert.equal(created.headers.location, `/api/v1/reviews/${review.id}`);

  // A second review of the same movie is refused, as in the course.
  const again = await send({ method: 'POST', url: '/api/v1/reviews', ...pythonJson({ movie_id: movie.id, review: 'Otra vez', score: 1 }, authHeader) });
  assert.deepEqual(assertJson(again, 409), { detail: 'Already created a review', code: 'review_exists' });

  // 4. List: requests.get(URL + '/api/v1/reviews', params={'page': 1, 'limit': 2})
  const listed = await send({ method: 'GET', url: '/api/v1/reviews?page=1&limit=2', headers: PYTHON_HEADERS });
  const page = assertJson(listed, 200);
  assert.ok(Array.isArray(page), 'the list is a bare JSON array');
  assert.equal(page.length, 2);
  assert.equal(listed.headers['x-total-count'], '3');
  assert.match(String(listed.headers.link), /rel="next"/);
  // The course's first client script prints them only `if response.headers.get('content-type') == 'application/json'`.
  assert.equal(listed.headers['content-type'], 'application/json');
  // Oldest first (by id), as the course lists them: the classmates' reviews, then on page 2 the student's.
  assertReview(page[0], { username: 'companera_1', score: 4 });
  assertReview(page[1], { username: 'companero_2', score: 4 });
  const second = assertJson(await send({ method: 'GET', url: '/api/v1/reviews?page=2&limit=2', headers: PYTHON_HEADERS }), 200) as unknown[];
  assert.equal(second.length, 1);
  assertReview(second[0], { id: review.id, username, score: 5 });

  // 5. Get the review.
  const got = await send({ method: 'GET', url: `/api/v1/reviews/${review.id}`, headers: PYTHON_HEADERS });
  assert.deepEqual(assertJson(got, 200), review);

  // 6. Edit it: requests.put(URL + f'/api/v1/reviews/{id}', json={'review': ..., 'score': ...}, headers=...)
  const edited = await send({
    method: 'PUT',
    url: `/api/v1/reviews/${review.id}`,
    ...pythonJson({ review: 'Sigue siendo una obra maestra', score: 4 }, authHeader),
  });
  const editedReview = assertReview(assertJson(edited, 200), {
    id: review.id,
    user_id: user.id,
    username,
    movie: { id: movie.id, title: 'El laberinto del fauno' },
    review: 'Sigue siendo una obra maestra',
    score: 4,
    created_at: review.created_at,
  });
  assert.ok(editedReview.updated_at >= review.updated_at);
  const movieNow = assertJson(await send({ method: 'GET', url: `/api/v1/movies/${movie.id}`, headers: PYTHON_HEADERS }), 200) as Record<string, unknown>;
  assert.deepEqual(Object.keys(movieNow).sort(), MOVIE_FIELDS);
  assert.equal(movieNow.review_count, 3);
  assert.equal(movieNow.average_score, 4);

  // 7. Cookie login with a requests.Session: session.post(URL + '/api/v1/users/login', json={...})
  const login = await send({ method: 'POST', url: '/api/v1/users/login', ...pythonJson({ username, password }) });
  const loggedIn = assertJson(login, 200) as Record<string, unknown>;
  assert.deepEqual(Object.keys(loggedIn).sort(), USER_FIELDS);
  // The same user; their counts moved with the review written since registering.
  assert.deepEqual({ ...loggedIn, review_count: 0, rating_count: 0 }, user);
  assert.deepEqual([loggedIn.review_count, loggedIn.rating_count], [1, 1]);
  const setCookie = setCookies(login).find((c) => c.name === cookieName);
  assert.ok(setCookie, `a ${cookieName} cookie in ${JSON.stringify(login.headers['set-cookie'])}`);
  assert.equal('httponly' in setCookie.attributes, true);
  assert.equal(setCookie.attributes.path, '/');
  assert.equal(setCookie.attributes.samesite?.toLowerCase(), 'lax');
  assert.equal('secure' in setCookie.attributes, options.https, 'Secure exactly when the client came over HTTPS');
  assert.notEqual(setCookie.value, String(user.id), 'the cookie is not the user id');
  assert.notEqual(setCookie.value, tokenBody.access_token, 'a new session, not the token’s');
  const cookieJar = { cookie: `${cookieName}=${setCookie.value}` };

  // ... and session.get(URL + '/api/v1/users/reviews'): my reviews, through the cookie alone.
  const mine = await send({ method: 'GET', url: '/api/v1/users/reviews', headers: { ...PYTHON_HEADERS, ...cookieJar } });
  const myReviews = assertJson(mine, 200);
  assert.ok(Array.isArray(myReviews));
  assert.equal(myReviews.length, 1);
  assert.deepEqual(myReviews[0], editedReview);
  assert.equal(mine.headers['x-total-count'], '1');

  // 8. Delete the review through the session: session.delete(URL + f'/api/v1/reviews/{id}')
  const deleted = await send({ method: 'DELETE', url: `/api/v1/reviews/${review.id}`, headers: { ...PYTHON_HEADERS, ...cookieJar } });
  assert.equal(deleted.statusCode, 204, deleted.body);
  assert.equal(deleted.body, '');
  const gone = await send({ method: 'GET', url: `/api/v1/reviews/${review.id}`, headers: PYTHON_HEADERS });
  assert.deepEqual(assertJson(gone, 404), { detail: 'Review not found', code: 'review_not_found' });
  const movieAfter = assertJson(await send({ method: 'GET', url: `/api/v1/movies/${movie.id}`, headers: PYTHON_HEADERS }), 200) as Record<string, unknown>;
  assert.equal(movieAfter.review_count, 2);
  assert.equal(movieAfter.average_score, 4);

  // 9. Log out: session.post(URL + '/api/v1/users/logout') → 204, and the cookie is cleared.
  const logout = await send({ method: 'POST', url: '/api/v1/users/logout', headers: { ...PYTHON_HEADERS, ...cookieJar } });
  assert.equal(logout.statusCode, 204, logout.body);
  assert.equal(logout.body, '');
  const cleared = setCookies(logout).find((c) => c.name === cookieName);
  assert.ok(cleared, 'logout clears the cookie');
  assert.equal(cleared.value, '');
  const expires = cleared.attributes.expires;
  assert.ok(expires !== undefined && Date.parse(expires) <= Date.now(), 'the cleared cookie is expired');

  // The old cookie no longer works...
  const after1 = await send({ method: 'GET', url: '/api/v1/users/reviews', headers: { ...PYTHON_HEADERS, ...cookieJar } });
  assert.equal(after1.statusCode, 401);
  assert.equal(after1.headers['www-authenticate'], 'Bearer');
  const detail = (assertJson(after1, 401) as { detail: unknown }).detail;
  assert.equal(typeof detail, 'string');
  const me = await send({ method: 'GET', url: '/api/v1/users/me', headers: { ...PYTHON_HEADERS, ...cookieJar } });
  assert.equal(me.statusCode, 401);

  // ... while the bearer token, a separate session, still does.
  const stillMe = await send({ method: 'GET', url: '/api/v1/users/me', headers: { ...PYTHON_HEADERS, ...authHeader } });
  assert.deepEqual(assertJson(stillMe, 200), user);
}
