import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { loggerOptions } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { FRESH_PROFILE, USER_KEYS } from './support/fields.js';
import { PASSWORD, type TestContext, adminToken, bearer, createMovie, register, sessionCookie, startApp, token, userToken } from './support/app.js';

interface UserBody {
  id: number;
  username: string;
  role: string;
  created_at: string;
}

interface TokenBody {
  access_token: string;
  token_type: string;
  expires_in: number;
}

const BAD_LOGIN = { detail: 'Incorrect username or password', code: 'invalid_credentials' };
const NOT_AUTHENTICATED = { detail: 'Not authenticated', code: 'not_authenticated' };
const EVIL = 'https://evil.example';

function login(app: FastifyInstance, username: string, password: string, headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url: '/api/v1/users/login', headers, payload: { username, password } });
}

function tokenForm(app: FastifyInstance, username: string, password: string) {
  return app.inject({
    method: 'POST',
    url: '/auth',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ username, password }).toString(),
  });
}

async function cookieFor(app: FastifyInstance, username: string, password = PASSWORD): Promise<string> {
  const res = await login(app, username, password);
  assert.equal(res.statusCode, 200, res.body);
  return sessionCookie(res);
}

function me(app: FastifyInstance, headers: Record<string, string>) {
  return app.inject({ method: 'GET', url: '/api/v1/users/me', headers });
}

/** Asserts the 401 every protected endpoint gives without valid credentials. */
function assertUnauthorized(res: LightMyRequestResponse, detail?: string): void {
  assert.equal(res.statusCode, 401, res.body);
  assert.equal(res.headers['www-authenticate'], 'Bearer');
  const body = res.json<{ detail: string }>();
  assert.equal(typeof body.detail, 'string');
  if (detail !== undefined) assert.equal(body.detail, detail);
}

/** The session cookie of a response is cleared: empty value, already expired. */
function assertCookieCleared(res: LightMyRequestResponse): void {
  const cleared = res.cookies.find((c) => c.name === 'butaca_session');
  assert.ok(cleared, `no Set-Cookie for butaca_session in ${JSON.stringify(res.headers['set-cookie'])}`);
  assert.equal(cleared.value, '');
  const expired = cleared.maxAge === 0 || (cleared.expires !== undefined && cleared.expires.getTime() <= Date.now());
  assert.ok(expired, `cookie not expired: ${JSON.stringify(res.headers['set-cookie'])}`);
  assert.equal(cleared.path, '/');
}

async function sessionCount(ctx: TestContext, userId: number): Promise<number> {
  const row = await ctx.db
    .selectFrom('sessions')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('registration', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await startApp();
  });
  after(async () => ctx.close());

  it('creates a user: 201, the User body, a Location that answers the same user', async () => {
    const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/users', payload: { username: 'reg.ana_1-x', password: PASSWORD } });
    assert.equal(res.statusCode, 201, res.body);
    const user = res.json<UserBody>();
    assert.deepEqual(Object.keys(user).sort(), USER_KEYS);
    assert.ok(Number.isInteger(user.id) && user.id > 0);
    assert.equal(user.username, 'reg.ana_1-x');
    assert.equal(user.role, 'user');
    assert.match(user.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.ok(Math.abs(Date.parse(user.created_at) - Date.now()) < 60_000);
    assert.equal(res.headers.location, `/api/v1/users/${user.id}`);
    assert.ok(!res.body.includes(PASSWORD));

    const got = await ctx.app.inject({ method: 'GET', url: res.headers.location });
    assert.equal(got.statusCode, 200);
    assert.deepEqual(got.json(), user);
  });

  it('ignores a client-sent role: a registration is always a plain user', async () => {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      payload: { username: 'wannabe', password: PASSWORD, role: 'admin' },
    });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json<UserBody>().role, 'user');
    const row = await ctx.db.selectFrom('users').select('role').where('username', '=', 'wannabe').executeTakeFirstOrThrow();
    assert.equal(row.role, 'user');
  });

  it('accepts usernames of exactly 3 and 50 characters and passwords of exactly 8 and 128', async () => {
    for (const [username, password] of [
      ['abc', 'x'.repeat(8)],
      ['a'.repeat(50), 'y'.repeat(128)],
    ] as const) {
      const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/users', payload: { username, password } });
      assert.equal(res.statusCode, 201, `${username}: ${res.body}`);
      assert.equal((await token(ctx.app, username, password)).length, 43);
    }
  });

  it('refuses bad usernames with 422 at loc [body, username]', async () => {
    for (const username of ['ab', 'a'.repeat(51), 'has space', 'semi;colon', 'slash/x', 'émile', '', 'tab\tx']) {
      const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/users', payload: { username, password: PASSWORD } });
      assert.equal(res.statusCode, 422, `${JSON.stringify(username)}: ${res.body}`);
      const { detail } = res.json<{ detail: { loc: unknown[]; msg: string; type: string }[] }>();
      assert.deepEqual(
        detail.map((d) => d.loc),
        [['body', 'username']],
      );
      assert.equal(typeof detail[0]!.msg, 'string');
      assert.equal(typeof detail[0]!.type, 'string');
    }
    const rows = await ctx.db.selectFrom('users').select('username').where('username', 'in', ['ab', 'has space', 'émile']).execute();
    assert.deepEqual(rows, []);
  });

  it('refuses passwords under 8 or over 128 characters with 422 at loc [body, password]', async () => {
    for (const password of ['1234567', 'z'.repeat(129), '']) {
      const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/users', payload: { username: 'pwtest', password } });
      assert.equal(res.statusCode, 422, res.body);
      assert.deepEqual(
        res.json<{ detail: { loc: unknown[] }[] }>().detail.map((d) => d.loc),
        [['body', 'password']],
      );
    }
    assert.equal(await ctx.db.selectFrom('users').select('id').where('username', '=', 'pwtest').executeTakeFirst(), undefined);
  });

  it('lists every invalid field at once', async () => {
    const bad = await ctx.app.inject({ method: 'POST', url: '/api/v1/users', payload: { username: 'x!', password: 'short' } });
    assert.equal(bad.statusCode, 422);
    const locs = bad.json<{ detail: { loc: unknown[] }[] }>().detail.map((d) => d.loc);
    assert.deepEqual(locs, [
      ['body', 'username'],
      ['body', 'password'],
    ]);

    const missing = await ctx.app.inject({ method: 'POST', url: '/api/v1/users', payload: {} });
    assert.equal(missing.statusCode, 422);
    assert.deepEqual(missing.json(), {
      detail: [
        { loc: ['body', 'username'], msg: 'Field required', type: 'missing' },
        { loc: ['body', 'password'], msg: 'Field required', type: 'missing' },
      ],
    });
  });

  it('refuses a username already taken, ignoring case: 409', async () => {
    await register(ctx.app, 'Duplicado');
    for (const username of ['Duplicado', 'duplicado', 'DUPLICADO']) {
      const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/users', payload: { username, password: 'another-password' } });
      assert.equal(res.statusCode, 409, res.body);
      assert.deepEqual(res.json(), { detail: 'Username already in use', code: 'username_taken' });
    }
    // The first account is untouched: its own password still works, the other one does not.
    assert.equal((await tokenForm(ctx.app, 'duplicado', PASSWORD)).statusCode, 200);
    assert.equal((await tokenForm(ctx.app, 'duplicado', 'another-password')).statusCode, 401);
  });

  it('lets exactly one of twenty concurrent registrations of one name succeed', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        ctx.app.inject({
          method: 'POST',
          url: '/api/v1/users',
          payload: { username: i % 2 === 0 ? 'racer' : 'RACER', password: `password-${i}` },
        }),
      ),
    );
    const codes = results.map((r) => r.statusCode).sort();
    assert.deepEqual(codes, [201, ...Array<number>(19).fill(409)]);
    for (const r of results.filter((x) => x.statusCode === 409)) assert.deepEqual(r.json(), { detail: 'Username already in use', code: 'username_taken' });
    const rows = await ctx.db
      .selectFrom('users')
      .select('id')
      .where((eb) => eb(eb.fn('lower', ['username']), '=', 'racer'))
      .execute();
    assert.equal(rows.length, 1);
  });

  it('stores an argon2id hash, never the password, and never returns it', async () => {
    const password = 'Plain-Text-Sentinel-42';
    const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/users', payload: { username: 'hashed', password } });
    assert.equal(res.statusCode, 201);
    assert.ok(!res.body.includes(password));
    assert.ok(!res.body.includes('argon2'));
    const row = await ctx.db.selectFrom('users').selectAll().where('username', '=', 'hashed').executeTakeFirstOrThrow();
    assert.ok(row.password_hash.startsWith('$argon2id$'), row.password_hash);
    assert.ok(!row.password_hash.includes(password));
    assert.ok(!JSON.stringify(row).includes(password));

    // Two users with the same password get different hashes (salted).
    await ctx.app.inject({ method: 'POST', url: '/api/v1/users', payload: { username: 'hashed2', password } });
    const other = await ctx.db.selectFrom('users').select('password_hash').where('username', '=', 'hashed2').executeTakeFirstOrThrow();
    assert.notEqual(other.password_hash, row.password_hash);

    const login1 = await login(ctx.app, 'hashed', password);
    assert.equal(login1.statusCode, 200);
    assert.ok(!login1.body.includes(password) && !login1.body.includes('argon2'));
    const meRes = await me(ctx.app, { cookie: sessionCookie(login1) });
    assert.ok(!meRes.body.includes('argon2'));
    assert.deepEqual(Object.keys(meRes.json<object>()).sort(), USER_KEYS);
  });

  it('answers 404 for an unknown user id', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/api/v1/users/999999' });
    assert.equal(res.statusCode, 404);
    assert.deepEqual(res.json(), { detail: 'User not found', code: 'user_not_found' });
  });
});

describe('cookie login', () => {
  let ctx: TestContext;
  let ana: { id: number; username: string };
  before(async () => {
    ctx = await startApp();
    ana = await register(ctx.app, 'cookie_ana');
  });
  after(async () => ctx.close());

  it('answers 200 with the user and an HttpOnly, SameSite=Lax, Path=/ session cookie, not Secure over HTTP', async () => {
    const res = await login(ctx.app, 'cookie_ana', PASSWORD);
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json<UserBody>();
    assert.deepEqual(body, { id: ana.id, username: 'cookie_ana', role: 'user', created_at: body.created_at, ...FRESH_PROFILE });
    const raw = String(res.headers['set-cookie']);
    assert.match(raw, /^butaca_session=[A-Za-z0-9_-]{43};/);
    assert.match(raw, /;\s*HttpOnly/i);
    assert.match(raw, /;\s*SameSite=Lax/i);
    assert.match(raw, /;\s*Path=\/(;|$)/);
    assert.doesNotMatch(raw, /Secure/i);
    assert.doesNotMatch(raw, /Domain=/i);
    assert.doesNotMatch(raw, /__Host-/);
    const cookie = res.cookies.find((c) => c.name === 'butaca_session')!;
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Lax');
    assert.equal(cookie.path, '/');
  });

  it('logs in ignoring the case of the username', async () => {
    const res = await login(ctx.app, 'COOKIE_Ana', PASSWORD);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json<UserBody>().username, 'cookie_ana');
  });

  it('makes a new session id on every login, each usable with GET /users/me', async () => {
    const first = await cookieFor(ctx.app, 'cookie_ana');
    const second = await cookieFor(ctx.app, 'cookie_ana');
    assert.notEqual(first, second);
    for (const cookie of [first, second]) {
      const res = await me(ctx.app, { cookie });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), { id: ana.id, username: 'cookie_ana', role: 'user', created_at: res.json<UserBody>().created_at, ...FRESH_PROFILE });
    }
  });

  it('does not reuse a session id the client already sends (no session fixation)', async () => {
    const old = await cookieFor(ctx.app, 'cookie_ana');
    const res = await login(ctx.app, 'cookie_ana', PASSWORD, { cookie: old });
    assert.equal(res.statusCode, 200);
    assert.notEqual(sessionCookie(res), old);
  });

  it('sets the session cookie Secure with the __Host- prefix when served over HTTPS', async () => {
    const tls = await startApp({ TRUST_PROXY: 'on' });
    try {
      await register(tls.app, 'secure_ana');
      const res = await login(tls.app, 'secure_ana', PASSWORD, { 'x-forwarded-proto': 'https' });
      assert.equal(res.statusCode, 200, res.body);
      const raw = String(res.headers['set-cookie']);
      assert.match(raw, /^__Host-butaca_session=[A-Za-z0-9_-]{43};/);
      assert.match(raw, /;\s*Secure/i);
      assert.match(raw, /;\s*HttpOnly/i);
      assert.match(raw, /;\s*SameSite=Lax/i);
      assert.match(raw, /;\s*Path=\/(;|$)/);
      assert.doesNotMatch(raw, /Domain=/i);
      const cookie = res.cookies.find((c) => c.name === '__Host-butaca_session')!;
      const meRes = await me(tls.app, { cookie: `${cookie.name}=${cookie.value}`, 'x-forwarded-proto': 'https' });
      assert.equal(meRes.statusCode, 200, meRes.body);
      const out = await tls.app.inject({
        method: 'POST',
        url: '/api/v1/users/logout',
        headers: { cookie: `${cookie.name}=${cookie.value}`, 'x-forwarded-proto': 'https' },
      });
      assert.equal(out.statusCode, 204);
      assert.match(String(out.headers['set-cookie']), /^__Host-butaca_session=;/);
    } finally {
      await tls.close();
    }
  });

  it('under HTTPS refuses a session sent in the plain (unprefixed) cookie, which a subdomain could plant', async () => {
    const tls = await startApp({ TRUST_PROXY: 'on' });
    try {
      await register(tls.app, 'planted_ana');
      const res = await login(tls.app, 'planted_ana', PASSWORD, { 'x-forwarded-proto': 'https' });
      const secret = res.cookies.find((c) => c.name === '__Host-butaca_session')!.value;
      const planted = await me(tls.app, { cookie: `butaca_session=${secret}`, 'x-forwarded-proto': 'https' });
      assert.equal(planted.statusCode, 401);
      const proper = await me(tls.app, { cookie: `__Host-butaca_session=${secret}`, 'x-forwarded-proto': 'https' });
      assert.equal(proper.statusCode, 200);
    } finally {
      await tls.close();
    }
  });

  it('validates the login body: 422 when a field is missing', async () => {
    const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { username: 'cookie_ana' } });
    assert.equal(res.statusCode, 422);
    assert.deepEqual(
      res.json<{ detail: { loc: unknown[] }[] }>().detail.map((d) => d.loc),
      [['body', 'password']],
    );
    assert.equal(res.headers['set-cookie'], undefined);
  });
});

describe('OAuth2 password flow at /auth', () => {
  let ctx: TestContext;
  let bob: { id: number; username: string };
  before(async () => {
    ctx = await startApp();
    bob = await register(ctx.app, 'oauth_bob');
  });
  after(async () => ctx.close());

  function assertTokenResponse(res: LightMyRequestResponse): string {
    assert.equal(res.statusCode, 200, res.body);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.equal(res.headers['cache-control'], 'no-store');
    const body = res.json<TokenBody>();
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'token_type']);
    assert.equal(body.token_type, 'bearer');
    assert.ok(Number.isInteger(body.expires_in) && body.expires_in > 0, String(body.expires_in));
    // 256 random bits, base64url: at least 43 characters of that alphabet (≥ 128 bits).
    assert.match(body.access_token, /^[A-Za-z0-9_-]{43,}$/);
    assert.equal(res.headers['set-cookie'], undefined);
    return body.access_token;
  }

  it('gives a bearer token for form-urlencoded credentials (OAuth2PasswordRequestForm)', async () => {
    const access = assertTokenResponse(await tokenForm(ctx.app, 'oauth_bob', PASSWORD));
    const res = await me(ctx.app, bearer(access));
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json<UserBody>().id, bob.id);
  });

  it('accepts the optional OAuth2 form fields (grant_type=password, scope, client_id)', async () => {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/auth',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `grant_type=password&username=oauth_bob&password=${encodeURIComponent(PASSWORD)}&scope=&client_id=cli`,
    });
    assertTokenResponse(res);
  });

  it('answers the same at POST /api/v1/auth, the tokenUrl of the course’s code, form or JSON', async () => {
    const form = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `username=oauth_bob&password=${encodeURIComponent(PASSWORD)}`,
    });
    const access = assertTokenResponse(form);
    assert.equal((await me(ctx.app, bearer(access))).json<UserBody>().id, bob.id);
    assertTokenResponse(await ctx.app.inject({ method: 'POST', url: '/api/v1/auth', payload: { username: 'oauth_bob', password: PASSWORD } }));
    const wrong = await ctx.app.inject({ method: 'POST', url: '/api/v1/auth', payload: { username: 'oauth_bob', password: 'wrong-password' } });
    assert.equal(wrong.statusCode, 401);
    assert.deepEqual(wrong.json(), { detail: 'Incorrect username or password', code: 'invalid_credentials' });
    assert.equal(wrong.headers['www-authenticate'], 'Bearer');
    const get = await ctx.app.inject({ method: 'GET', url: '/api/v1/auth' });
    assert.equal(get.statusCode, 405);
    assert.equal(get.headers.allow, 'OPTIONS, POST');
  });

  it('gives a bearer token for JSON credentials too', async () => {
    const res = await ctx.app.inject({ method: 'POST', url: '/auth', payload: { username: 'oauth_bob', password: PASSWORD } });
    const access = assertTokenResponse(res);
    const meRes = await me(ctx.app, bearer(access));
    assert.equal(meRes.statusCode, 200);
    assert.equal(meRes.json<UserBody>().username, 'oauth_bob');
  });

  it('accepts the Bearer scheme case-insensitively', async () => {
    const access = await token(ctx.app, 'oauth_bob');
    const res = await me(ctx.app, { authorization: `bearer ${access}` });
    assert.equal(res.statusCode, 200);
  });

  it('issues a different token each time', async () => {
    const a = await token(ctx.app, 'oauth_bob');
    const b = await token(ctx.app, 'oauth_bob');
    assert.notEqual(a, b);
  });

  it('stores only a hash of the token: no session row contains it', async () => {
    const access = await token(ctx.app, 'oauth_bob');
    const cookieRes = await login(ctx.app, 'oauth_bob', PASSWORD);
    const cookieSecret = cookieRes.cookies.find((c) => c.name === 'butaca_session')!.value;
    const rows = await ctx.db.selectFrom('sessions').selectAll().execute();
    assert.ok(rows.length >= 2);
    const dump = JSON.stringify(rows);
    assert.ok(!dump.includes(access), 'the bearer token is stored in clear');
    assert.ok(!dump.includes(cookieSecret), 'the cookie secret is stored in clear');
    for (const row of rows) assert.notEqual(row.token_hash, access);
    assert.ok(rows.some((r) => r.user_id === bob.id));
  });

  it('refuses grant types other than password with 422', async () => {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/auth',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `grant_type=client_credentials&username=oauth_bob&password=${encodeURIComponent(PASSWORD)}`,
    });
    assert.equal(res.statusCode, 422);
    assert.deepEqual(
      res.json<{ detail: { loc: unknown[] }[] }>().detail.map((d) => d.loc),
      [['body', 'grant_type']],
    );
  });

  it('answers 422 listing both fields when the form is empty', async () => {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/auth',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: '',
    });
    assert.equal(res.statusCode, 422, res.body);
  });
});

describe('failed logins and missing credentials', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await startApp();
    await register(ctx.app, 'known_user');
  });
  after(async () => ctx.close());

  it('answers the same 401 for a wrong password and for an unknown user at /auth (form and JSON)', async () => {
    const wrong = await tokenForm(ctx.app, 'known_user', 'wrong-password');
    const unknown = await tokenForm(ctx.app, 'nobody_here', 'wrong-password');
    const wrongJson = await ctx.app.inject({ method: 'POST', url: '/auth', payload: { username: 'known_user', password: 'nope-nope' } });
    for (const res of [wrong, unknown, wrongJson]) {
      assertUnauthorized(res, BAD_LOGIN.detail);
      assert.deepEqual(res.json(), BAD_LOGIN);
      assert.equal(res.headers['set-cookie'], undefined);
    }
    assert.equal(wrong.body, unknown.body);
    assert.equal(wrong.headers['content-type'], unknown.headers['content-type']);
  });

  it('answers the same 401 for a wrong password and for an unknown user at /users/login, with no cookie', async () => {
    const wrong = await login(ctx.app, 'known_user', 'wrong-password');
    const unknown = await login(ctx.app, 'nobody_here', 'wrong-password');
    for (const res of [wrong, unknown]) {
      assertUnauthorized(res, BAD_LOGIN.detail);
      assert.deepEqual(res.json(), BAD_LOGIN);
      assert.equal(res.headers['set-cookie'], undefined);
    }
    assert.equal(wrong.body, unknown.body);
  });

  it('is case-sensitive about the password', async () => {
    assertUnauthorized(await tokenForm(ctx.app, 'known_user', PASSWORD.toUpperCase()), BAD_LOGIN.detail);
  });

  it('answers 401 with WWW-Authenticate: Bearer on a protected endpoint without credentials', async () => {
    const requests = [
      { method: 'GET', url: '/api/v1/users/me' },
      { method: 'GET', url: '/api/v1/users/reviews' },
      { method: 'POST', url: '/api/v1/users/logout' },
      { method: 'PUT', url: '/api/v1/users/me/password', payload: { current_password: PASSWORD, new_password: 'new-password-1' } },
      { method: 'DELETE', url: '/api/v1/users/me', payload: { password: PASSWORD } },
      { method: 'POST', url: '/api/v1/reviews', payload: { movie_id: 1, review: 'x', score: 3 } },
      { method: 'POST', url: '/api/v1/movies', payload: { title: 'Anonymous' } },
    ] as const;
    for (const req of requests) {
      const res = await ctx.app.inject(req);
      assertUnauthorized(res);
      assert.deepEqual(res.json(), NOT_AUTHENTICATED, `${req.method} ${req.url}`);
    }
  });

  it('answers 401 for a garbage, malformed or unknown bearer token', async () => {
    const unknownButWellFormed = 'A'.repeat(43);
    for (const authorization of [
      'Bearer garbage',
      `Bearer ${unknownButWellFormed}`,
      'Bearer ',
      'Bearer',
      `Basic ${Buffer.from(`known_user:${PASSWORD}`).toString('base64')}`,
      `Bearer ${'x'.repeat(5000)}`,
    ]) {
      const res = await me(ctx.app, { authorization });
      assertUnauthorized(res);
      assert.notEqual(res.json<{ detail: string }>().detail, '', authorization);
    }
  });

  it('answers 401 for an unknown or malformed session cookie', async () => {
    for (const cookie of ['butaca_session=garbage', `butaca_session=${'B'.repeat(43)}`, 'butaca_session=']) {
      assertUnauthorized(await me(ctx.app, { cookie }));
    }
  });

  it('does not take a user id as a session cookie (course API habit)', async () => {
    const res = await me(ctx.app, { cookie: 'user_id=1' });
    assertUnauthorized(res, NOT_AUTHENTICATED.detail);
  });
});

describe('bearer token and cookie together', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await startApp();
    await register(ctx.app, 'both_a');
    await register(ctx.app, 'both_b');
  });
  after(async () => ctx.close());

  it('refuses a valid cookie beside an invalid bearer token: the bearer decides', async () => {
    const cookie = await cookieFor(ctx.app, 'both_a');
    assert.equal((await me(ctx.app, { cookie })).statusCode, 200);
    assertUnauthorized(await me(ctx.app, { cookie, ...bearer('C'.repeat(43)) }));
    assertUnauthorized(await me(ctx.app, { cookie, ...bearer('nonsense') }));
  });

  it('answers as the bearer token’s user when the cookie belongs to someone else', async () => {
    const tokenA = await token(ctx.app, 'both_a');
    const cookieB = await cookieFor(ctx.app, 'both_b');
    const res = await me(ctx.app, { cookie: cookieB, ...bearer(tokenA) });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json<UserBody>().username, 'both_a');

    // Logging out with both ends the bearer's session, not the cookie's.
    const out = await ctx.app.inject({ method: 'POST', url: '/api/v1/users/logout', headers: { cookie: cookieB, ...bearer(tokenA) } });
    assert.equal(out.statusCode, 204);
    assertUnauthorized(await me(ctx.app, bearer(tokenA)));
    const stillB = await me(ctx.app, { cookie: cookieB });
    assert.equal(stillB.statusCode, 200);
    assert.equal(stillB.json<UserBody>().username, 'both_b');
  });
});

describe('logout', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await startApp();
    await register(ctx.app, 'leaver');
  });
  after(async () => ctx.close());

  it('ends a cookie session: 204, clears the cookie, the secret is refused at once', async () => {
    const cookie = await cookieFor(ctx.app, 'leaver');
    const other = await cookieFor(ctx.app, 'leaver');
    const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/users/logout', headers: { cookie } });
    assert.equal(res.statusCode, 204);
    assert.equal(res.body, '');
    assertCookieCleared(res);
    assertUnauthorized(await me(ctx.app, { cookie }), 'Invalid or expired session');
    // Only the current session ends.
    assert.equal((await me(ctx.app, { cookie: other })).statusCode, 200);
    // Logging out again with the dead secret is refused too.
    assertUnauthorized(await ctx.app.inject({ method: 'POST', url: '/api/v1/users/logout', headers: { cookie } }));
  });

  it('ends a bearer session: 204, the token is refused at once, its row is gone', async () => {
    const access = await token(ctx.app, 'leaver');
    const other = await token(ctx.app, 'leaver');
    const userId = (await me(ctx.app, bearer(access))).json<UserBody>().id;
    const before = await sessionCount(ctx, userId);
    const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/users/logout', headers: bearer(access) });
    assert.equal(res.statusCode, 204);
    assert.equal(res.body, '');
    assertCookieCleared(res);
    assertUnauthorized(await me(ctx.app, bearer(access)), 'Invalid or expired token');
    assert.equal(await sessionCount(ctx, userId), before - 1);
    assert.equal((await me(ctx.app, bearer(other))).statusCode, 200);
  });

  it('answers 401 without credentials', async () => {
    const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/users/logout' });
    assertUnauthorized(res);
    assert.deepEqual(res.json(), NOT_AUTHENTICATED);
  });
});

describe('password change', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await startApp();
  });
  after(async () => ctx.close());

  const change = (headers: Record<string, string>, current_password: string, new_password: string) =>
    ctx.app.inject({ method: 'PUT', url: '/api/v1/users/me/password', headers, payload: { current_password, new_password } });

  it('changes the password (204) and ends the user’s other sessions, keeping the current one', async () => {
    const user = await register(ctx.app, 'changer');
    const other = await register(ctx.app, 'bystander');
    const current = await token(ctx.app, 'changer');
    const otherToken = await token(ctx.app, 'changer');
    const otherCookie = await cookieFor(ctx.app, 'changer');
    const bystander = await token(ctx.app, 'bystander');

    const res = await change(bearer(current), PASSWORD, 'brand-new-password');
    assert.equal(res.statusCode, 204, res.body);
    assert.equal(res.body, '');

    assert.equal((await me(ctx.app, bearer(current))).statusCode, 200);
    assertUnauthorized(await me(ctx.app, bearer(otherToken)));
    assertUnauthorized(await me(ctx.app, { cookie: otherCookie }));
    assert.equal(await sessionCount(ctx, user.id), 1);
    // Other users' sessions are not touched.
    assert.equal((await me(ctx.app, bearer(bystander))).statusCode, 200);
    assert.equal(await sessionCount(ctx, other.id), 1);

    assertUnauthorized(await tokenForm(ctx.app, 'changer', PASSWORD), BAD_LOGIN.detail);
    assertUnauthorized(await login(ctx.app, 'changer', PASSWORD), BAD_LOGIN.detail);
    assert.equal((await tokenForm(ctx.app, 'changer', 'brand-new-password')).statusCode, 200);
    assert.equal((await login(ctx.app, 'changer', 'brand-new-password')).statusCode, 200);

    const row = await ctx.db.selectFrom('users').select('password_hash').where('id', '=', user.id).executeTakeFirstOrThrow();
    assert.ok(row.password_hash.startsWith('$argon2id$'));
    assert.ok(!row.password_hash.includes('brand-new-password'));
  });

  it('works over a cookie session too, keeping that cookie valid', async () => {
    await register(ctx.app, 'cookie_changer');
    const cookie = await cookieFor(ctx.app, 'cookie_changer');
    const otherToken = await token(ctx.app, 'cookie_changer');
    const res = await change({ cookie }, PASSWORD, 'cookie-new-password');
    assert.equal(res.statusCode, 204, res.body);
    assert.equal((await me(ctx.app, { cookie })).statusCode, 200);
    assertUnauthorized(await me(ctx.app, bearer(otherToken)));
  });

  it('refuses a wrong current password with 403 and changes nothing', async () => {
    await register(ctx.app, 'careful');
    const current = await token(ctx.app, 'careful');
    const otherToken = await token(ctx.app, 'careful');
    const res = await change(bearer(current), 'not-my-password', 'another-new-password');
    assert.equal(res.statusCode, 403);
    assert.deepEqual(res.json(), { detail: 'Current password is incorrect', code: 'current_password_incorrect' });
    assert.equal((await tokenForm(ctx.app, 'careful', PASSWORD)).statusCode, 200);
    assertUnauthorized(await tokenForm(ctx.app, 'careful', 'another-new-password'));
    assert.equal((await me(ctx.app, bearer(otherToken))).statusCode, 200);
  });

  it('refuses a new password that breaks the rules with 422 at [body, new_password]', async () => {
    await register(ctx.app, 'shorty');
    const current = await token(ctx.app, 'shorty');
    for (const newPassword of ['short', 'q'.repeat(129)]) {
      const res = await change(bearer(current), PASSWORD, newPassword);
      assert.equal(res.statusCode, 422);
      assert.deepEqual(
        res.json<{ detail: { loc: unknown[] }[] }>().detail.map((d) => d.loc),
        [['body', 'new_password']],
      );
    }
    const missing = await ctx.app.inject({ method: 'PUT', url: '/api/v1/users/me/password', headers: bearer(current), payload: {} });
    assert.equal(missing.statusCode, 422);
    assert.deepEqual(
      missing.json<{ detail: { loc: unknown[] }[] }>().detail.map((d) => d.loc),
      [
        ['body', 'current_password'],
        ['body', 'new_password'],
      ],
    );
    assert.equal((await tokenForm(ctx.app, 'shorty', PASSWORD)).statusCode, 200);
  });
});

describe('account deletion and the caller’s reviews', () => {
  let ctx: TestContext;
  let admin: string;
  before(async () => {
    ctx = await startApp();
    admin = await adminToken(ctx);
  });
  after(async () => ctx.close());

  async function review(bearerToken: string, movieId: number, score: number, text = 'A review') {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/reviews',
      headers: bearer(bearerToken),
      payload: { movie_id: movieId, review: text, score },
    });
    assert.equal(res.statusCode, 201, res.body);
    return res.json<{ id: number; user_id: number }>();
  }

  async function movie(id: number) {
    const res = await ctx.app.inject({ method: 'GET', url: `/api/v1/movies/${id}` });
    assert.equal(res.statusCode, 200);
    return res.json<{ review_count: number; average_score: number | null }>();
  }

  it('GET /users/reviews lists only the caller’s own reviews', async () => {
    const m1 = await createMovie(ctx.app, admin, { title: 'Own Reviews One', year: 2001 });
    const m2 = await createMovie(ctx.app, admin, { title: 'Own Reviews Two', year: 2002 });
    const a = await userToken(ctx.app, 'lister_a');
    const b = await userToken(ctx.app, 'lister_b');
    const a1 = await review(a, m1.id, 4, 'a on one');
    const a2 = await review(a, m2.id, 2, 'a on two');
    await review(b, m1.id, 5, 'b on one');

    const res = await ctx.app.inject({ method: 'GET', url: '/api/v1/users/reviews', headers: bearer(a) });
    assert.equal(res.statusCode, 200, res.body);
    const list = res.json<{ id: number; username: string; user_id: number; movie: { id: number; title: string } }[]>();
    assert.deepEqual(list.map((r) => r.id).sort(), [a1.id, a2.id].sort());
    assert.ok(list.every((r) => r.username === 'lister_a' && r.user_id === a1.user_id));
    assert.deepEqual(list.find((r) => r.id === a1.id)!.movie, { id: m1.id, title: 'Own Reviews One' });
    assert.equal(res.headers['x-total-count'], '2');

    const resB = await ctx.app.inject({ method: 'GET', url: '/api/v1/users/reviews', headers: bearer(b) });
    assert.deepEqual(
      resB.json<{ username: string }[]>().map((r) => r.username),
      ['lister_b'],
    );

    const none = await userToken(ctx.app, 'lister_c');
    const empty = await ctx.app.inject({ method: 'GET', url: '/api/v1/users/reviews', headers: bearer(none) });
    assert.equal(empty.statusCode, 200);
    assert.deepEqual(empty.json(), []);
  });

  it('GET /users/reviews answers 401 to an anonymous caller', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/api/v1/users/reviews' });
    assertUnauthorized(res);
    assert.deepEqual(res.json(), NOT_AUTHENTICATED);
  });

  it('deletes the account (204) with its reviews and sessions, and corrects the movie aggregates', async () => {
    const m = await createMovie(ctx.app, admin, { title: 'Deleted Reviewer', year: 1999 });
    const solo = await createMovie(ctx.app, admin, { title: 'Only Reviewer', year: 1998 });
    const gone = await register(ctx.app, 'goner');
    const goneToken = await token(ctx.app, 'goner');
    const goneOtherToken = await token(ctx.app, 'goner');
    const goneCookie = await cookieFor(ctx.app, 'goner');
    const stay = await userToken(ctx.app, 'stayer');
    const goneReview = await review(goneToken, m.id, 5);
    const soloReview = await review(goneToken, solo.id, 4);
    const stayReview = await review(stay, m.id, 2);
    assert.deepEqual(await movie(m.id).then((x) => [x.review_count, x.average_score]), [2, 3.5]);

    const res = await ctx.app.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: bearer(goneToken), payload: { password: PASSWORD } });
    assert.equal(res.statusCode, 204, res.body);
    assert.equal(res.body, '');
    assertCookieCleared(res);

    for (const id of [goneReview.id, soloReview.id]) {
      assert.equal((await ctx.app.inject({ method: 'GET', url: `/api/v1/reviews/${id}` })).statusCode, 404);
    }
    assert.equal((await ctx.app.inject({ method: 'GET', url: `/api/v1/reviews/${stayReview.id}` })).statusCode, 200);
    const after = await movie(m.id);
    assert.equal(after.review_count, 1);
    assert.equal(after.average_score, 2);
    const soloAfter = await movie(solo.id);
    assert.equal(soloAfter.review_count, 0);
    assert.equal(soloAfter.average_score, null);

    for (const headers of [bearer(goneToken), bearer(goneOtherToken), { cookie: goneCookie }]) {
      assertUnauthorized(await me(ctx.app, headers));
    }
    assertUnauthorized(await tokenForm(ctx.app, 'goner', PASSWORD), BAD_LOGIN.detail);
    assertUnauthorized(await login(ctx.app, 'goner', PASSWORD), BAD_LOGIN.detail);
    assert.equal((await ctx.app.inject({ method: 'GET', url: `/api/v1/users/${gone.id}` })).statusCode, 404);
    assert.equal(await sessionCount(ctx, gone.id), 0);
    const left = await ctx.db.selectFrom('reviews').select('id').where('user_id', '=', gone.id).execute();
    assert.deepEqual(left, []);

    // The name is free again.
    assert.equal((await ctx.app.inject({ method: 'POST', url: '/api/v1/users', payload: { username: 'goner', password: PASSWORD } })).statusCode, 201);
  });

  it('deletes over a cookie session too', async () => {
    await register(ctx.app, 'cookie_goner');
    const cookie = await cookieFor(ctx.app, 'cookie_goner');
    const res = await ctx.app.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: { cookie }, payload: { password: PASSWORD } });
    assert.equal(res.statusCode, 204, res.body);
    assertCookieCleared(res);
    assertUnauthorized(await me(ctx.app, { cookie }));
  });

  it('refuses a wrong password with 403 and deletes nothing', async () => {
    const m = await createMovie(ctx.app, admin, { title: 'Kept Reviewer', year: 1997 });
    const user = await register(ctx.app, 'keeper');
    const t = await token(ctx.app, 'keeper');
    const r = await review(t, m.id, 3);
    const res = await ctx.app.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: bearer(t), payload: { password: 'wrong-password' } });
    assert.equal(res.statusCode, 403);
    assert.deepEqual(res.json(), { detail: 'Password is incorrect', code: 'password_incorrect' });
    assert.equal((await me(ctx.app, bearer(t))).statusCode, 200);
    assert.equal((await ctx.app.inject({ method: 'GET', url: `/api/v1/reviews/${r.id}` })).statusCode, 200);
    assert.equal((await ctx.app.inject({ method: 'GET', url: `/api/v1/users/${user.id}` })).statusCode, 200);
    const after = await movie(m.id);
    assert.deepEqual([after.review_count, after.average_score], [1, 3]);
    assert.equal((await tokenForm(ctx.app, 'keeper', PASSWORD)).statusCode, 200);
  });

  it('needs the password in the body: 422 without it', async () => {
    await register(ctx.app, 'no_body');
    const t = await token(ctx.app, 'no_body');
    const res = await ctx.app.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: bearer(t), payload: {} });
    assert.equal(res.statusCode, 422);
    assert.deepEqual(
      res.json<{ detail: { loc: unknown[] }[] }>().detail.map((d) => d.loc),
      [['body', 'password']],
    );
    assert.equal((await me(ctx.app, bearer(t))).statusCode, 200);
  });
});

describe('session expiry', () => {
  const isoAgo = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString();

  describe('limits moved into the past in the database', () => {
    let ctx: TestContext;
    let userId: number;
    before(async () => {
      ctx = await startApp({ SESSION_IDLE_TIMEOUT: '600', SESSION_MAX_AGE: '3600' });
      userId = (await register(ctx.app, 'expiring')).id;
    });
    after(async () => ctx.close());

    /** The session row most recently created for the user. */
    async function latestSessionId(): Promise<number> {
      const row = await ctx.db
        .selectFrom('sessions')
        .select('id')
        .where('user_id', '=', userId)
        .orderBy('id', 'desc')
        .executeTakeFirstOrThrow();
      return row.id;
    }

    it('reports the configured absolute limit in expires_in and the cookie Max-Age', async () => {
      const res = await tokenForm(ctx.app, 'expiring', PASSWORD);
      const { expires_in } = res.json<TokenBody>();
      // The whole lifetime, not one computed from the clock a moment later (which read 3599).
      assert.equal(expires_in, 3600);
      const cookieRes = await login(ctx.app, 'expiring', PASSWORD);
      assert.equal(cookieRes.cookies.find((c) => c.name === 'butaca_session')!.maxAge, 3600);
      const row = await ctx.db.selectFrom('sessions').selectAll().where('id', '=', await latestSessionId()).executeTakeFirstOrThrow();
      const lifetime = (Date.parse(row.expires_at) - Date.parse(row.created_at)) / 1000;
      assert.equal(lifetime, 3600);
    });

    it('refuses a bearer session unused for longer than the idle limit, and removes it', async () => {
      const access = await token(ctx.app, 'expiring');
      const id = await latestSessionId();
      assert.equal((await me(ctx.app, bearer(access))).statusCode, 200);
      await ctx.db.updateTable('sessions').set({ last_seen_at: isoAgo(601) }).where('id', '=', id).execute();
      assertUnauthorized(await me(ctx.app, bearer(access)), 'Invalid or expired token');
      assert.equal(await ctx.db.selectFrom('sessions').select('id').where('id', '=', id).executeTakeFirst(), undefined);
      // Once gone it stays gone, even if the clock were kind again.
      assertUnauthorized(await me(ctx.app, bearer(access)));
    });

    it('refuses a cookie session unused for longer than the idle limit', async () => {
      const cookie = await cookieFor(ctx.app, 'expiring');
      const id = await latestSessionId();
      await ctx.db.updateTable('sessions').set({ last_seen_at: isoAgo(700) }).where('id', '=', id).execute();
      assertUnauthorized(await me(ctx.app, { cookie }), 'Invalid or expired session');
    });

    it('keeps a session used within the idle limit, and use moves last_seen_at forward', async () => {
      const access = await token(ctx.app, 'expiring');
      const id = await latestSessionId();
      await ctx.db.updateTable('sessions').set({ last_seen_at: isoAgo(400) }).where('id', '=', id).execute();
      const started = Date.now();
      assert.equal((await me(ctx.app, bearer(access))).statusCode, 200);
      const row = await ctx.db.selectFrom('sessions').select('last_seen_at').where('id', '=', id).executeTakeFirstOrThrow();
      assert.ok(Date.parse(row.last_seen_at) >= started - 1000, row.last_seen_at);
      // 400 s more of idleness would have crossed 600 s without the refresh; with it the session lives.
      await ctx.db.updateTable('sessions').set({ last_seen_at: isoAgo(400) }).where('id', '=', id).execute();
      assert.equal((await me(ctx.app, bearer(access))).statusCode, 200);
    });

    it('refuses a session past its absolute limit even while it is in use', async () => {
      const access = await token(ctx.app, 'expiring');
      const cookie = await cookieFor(ctx.app, 'expiring');
      const ids = await ctx.db.selectFrom('sessions').select('id').where('user_id', '=', userId).orderBy('id', 'desc').limit(2).execute();
      assert.equal((await me(ctx.app, bearer(access))).statusCode, 200);
      await ctx.db
        .updateTable('sessions')
        .set({ expires_at: isoAgo(1), last_seen_at: new Date().toISOString() })
        .where(
          'id',
          'in',
          ids.map((r) => r.id),
        )
        .execute();
      assertUnauthorized(await me(ctx.app, bearer(access)), 'Invalid or expired token');
      assertUnauthorized(await me(ctx.app, { cookie }), 'Invalid or expired session');
    });

    it('does not extend the absolute limit when the session is used', async () => {
      const access = await token(ctx.app, 'expiring');
      const id = await latestSessionId();
      const before = await ctx.db.selectFrom('sessions').select('expires_at').where('id', '=', id).executeTakeFirstOrThrow();
      await ctx.db.updateTable('sessions').set({ last_seen_at: isoAgo(120) }).where('id', '=', id).execute();
      assert.equal((await me(ctx.app, bearer(access))).statusCode, 200);
      const after = await ctx.db.selectFrom('sessions').select('expires_at').where('id', '=', id).executeTakeFirstOrThrow();
      assert.equal(after.expires_at, before.expires_at);
    });
  });

  describe('limits reached in real time', () => {
    let idle: TestContext;
    let absolute: TestContext;
    before(async () => {
      idle = await startApp({ SESSION_IDLE_TIMEOUT: '2', SESSION_MAX_AGE: '3600' });
      absolute = await startApp({ SESSION_IDLE_TIMEOUT: '3600', SESSION_MAX_AGE: '1' });
      await register(idle.app, 'idler');
      await register(absolute.app, 'shortlived');
    });
    after(async () => {
      await idle.close();
      await absolute.close();
    });

    it('ends a session after SESSION_IDLE_TIMEOUT seconds without use, not while it is being used', async () => {
      const access = await token(idle.app, 'idler');
      await sleep(1100);
      assert.equal((await me(idle.app, bearer(access))).statusCode, 200);
      await sleep(1100); // 2.2 s after creation, 1.1 s after the last use
      assert.equal((await me(idle.app, bearer(access))).statusCode, 200);
      await sleep(2200);
      assertUnauthorized(await me(idle.app, bearer(access)), 'Invalid or expired token');
    });

    it('ends a session SESSION_MAX_AGE seconds after login however much it is used', async () => {
      const res = await tokenForm(absolute.app, 'shortlived', PASSWORD);
      const { access_token, expires_in } = res.json<TokenBody>();
      assert.ok(expires_in <= 1, String(expires_in));
      const cookie = await cookieFor(absolute.app, 'shortlived');
      await sleep(1100);
      assertUnauthorized(await me(absolute.app, bearer(access_token)), 'Invalid or expired token');
      assertUnauthorized(await me(absolute.app, { cookie }), 'Invalid or expired session');
    });
  });
});

describe('cross-origin requests', () => {
  let ctx: TestContext;
  let admin: string;
  let movieId: number;
  before(async () => {
    ctx = await startApp();
    admin = await adminToken(ctx, 'xo_admin');
    movieId = (await createMovie(ctx.app, admin, { title: 'Cross Origin', year: 2020 })).id;
  });
  after(async () => ctx.close());

  const HOST = 'butaca.example:8000';
  const CROSS: Record<string, string>[] = [
    { origin: EVIL },
    { origin: 'http://butaca.example:9000' }, // same name, other port: another origin
    { origin: 'https://butaca.example:8000' }, // same name and port, other scheme: another origin too
    { origin: 'null' },
    { 'sec-fetch-site': 'cross-site' },
    { 'sec-fetch-site': 'same-site' },
    { 'sec-fetch-site': 'cross-site', origin: `http://${HOST}` }, // Sec-Fetch-Site is the stronger signal
  ];

  it('refuses cookie-authenticated POST, PUT, PATCH and DELETE from another origin with 403, changing nothing', async () => {
    await register(ctx.app, 'xo_user');
    const t = await token(ctx.app, 'xo_user');
    const rev = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/reviews',
      headers: bearer(t),
      payload: { movie_id: movieId, review: 'Original text', score: 3 },
    });
    assert.equal(rev.statusCode, 201);
    const reviewId = rev.json<{ id: number }>().id;
    const cookie = await cookieFor(ctx.app, 'xo_user');

    for (const cross of CROSS) {
      const headers = { cookie, host: HOST, ...cross };
      const attempts = [
        { method: 'POST', url: '/api/v1/users/logout', headers },
        { method: 'PUT', url: '/api/v1/users/me/password', headers, payload: { current_password: PASSWORD, new_password: 'hijacked-password' } },
        { method: 'PATCH', url: `/api/v1/reviews/${reviewId}`, headers, payload: { review: 'Hijacked', score: 1 } },
        { method: 'PUT', url: `/api/v1/reviews/${reviewId}`, headers, payload: { review: 'Hijacked', score: 1 } },
        { method: 'DELETE', url: `/api/v1/reviews/${reviewId}`, headers },
        { method: 'DELETE', url: '/api/v1/users/me', headers, payload: { password: PASSWORD } },
      ] as const;
      for (const req of attempts) {
        const res = await ctx.app.inject(req);
        assert.equal(res.statusCode, 403, `${req.method} ${req.url} with ${JSON.stringify(cross)}: ${res.body}`);
        assert.match(res.json<{ detail: string }>().detail, /cross-site/i);
      }
    }

    // Nothing happened: the session lives, the password and the review are unchanged.
    assert.equal((await me(ctx.app, { cookie })).statusCode, 200);
    assert.equal((await tokenForm(ctx.app, 'xo_user', PASSWORD)).statusCode, 200);
    const still = await ctx.app.inject({ method: 'GET', url: `/api/v1/reviews/${reviewId}` });
    assert.equal(still.statusCode, 200);
    assert.equal(still.json<{ review: string; score: number }>().review, 'Original text');
    assert.equal(still.json<{ review: string; score: number }>().score, 3);
  });

  it('refuses a cookie-authenticated admin write from another origin', async () => {
    const adminCookie = await cookieFor(ctx.app, 'xo_admin');
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/movies',
      headers: { cookie: adminCookie, origin: EVIL },
      payload: { title: 'Planted by evil' },
    });
    assert.equal(res.statusCode, 403);
    const list = await ctx.app.inject({ method: 'GET', url: '/api/v1/movies?q=Planted' });
    assert.deepEqual(list.json(), []);
  });

  it('allows cookie-authenticated safe methods from another origin', async () => {
    await register(ctx.app, 'xo_reader');
    const cookie = await cookieFor(ctx.app, 'xo_reader');
    const res = await me(ctx.app, { cookie, origin: EVIL, 'sec-fetch-site': 'cross-site' });
    assert.equal(res.statusCode, 200);
  });

  it('allows the same requests with a bearer token from another origin', async () => {
    await register(ctx.app, 'xo_bearer');
    const t = await token(ctx.app, 'xo_bearer');
    const cross = { origin: EVIL, 'sec-fetch-site': 'cross-site' };
    const rev = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/reviews',
      headers: { ...bearer(t), ...cross },
      payload: { movie_id: movieId, review: 'From elsewhere', score: 4 },
    });
    assert.equal(rev.statusCode, 201, rev.body);
    const reviewId = rev.json<{ id: number }>().id;
    const patch = await ctx.app.inject({
      method: 'PATCH',
      url: `/api/v1/reviews/${reviewId}`,
      headers: { ...bearer(t), ...cross },
      payload: { score: 5 },
    });
    assert.equal(patch.statusCode, 200, patch.body);
    const put = await ctx.app.inject({
      method: 'PUT',
      url: '/api/v1/users/me/password',
      headers: { ...bearer(t), ...cross },
      payload: { current_password: PASSWORD, new_password: 'bearer-new-password' },
    });
    assert.equal(put.statusCode, 204, put.body);
    const del = await ctx.app.inject({ method: 'DELETE', url: `/api/v1/reviews/${reviewId}`, headers: { ...bearer(t), ...cross } });
    assert.equal(del.statusCode, 204);
    const out = await ctx.app.inject({ method: 'POST', url: '/api/v1/users/logout', headers: { ...bearer(t), ...cross } });
    assert.equal(out.statusCode, 204);
    const adminPost = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/movies',
      headers: { ...bearer(admin), ...cross },
      payload: { title: 'Bearer from afar', year: 2021 },
    });
    assert.equal(adminPost.statusCode, 201);
  });

  it('allows same-origin cookie requests: matching Origin, Sec-Fetch-Site same-origin or none, or no such headers', async () => {
    await register(ctx.app, 'xo_same');
    const sameOrigin: Record<string, string>[] = [
      { host: HOST, origin: `http://${HOST}` },
      { host: 'butaca.example', origin: 'http://butaca.example' },
      { host: 'butaca.example:80', origin: 'http://butaca.example' }, // default port written out in Host
      { host: HOST, 'sec-fetch-site': 'same-origin', origin: `http://${HOST}` },
      { host: HOST, 'sec-fetch-site': 'same-origin' },
      { host: HOST, 'sec-fetch-site': 'none' },
      { host: HOST },
    ];
    for (const headers of sameOrigin) {
      const cookie = await cookieFor(ctx.app, 'xo_same');
      const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/users/logout', headers: { cookie, ...headers } });
      assert.equal(res.statusCode, 204, `${JSON.stringify(headers)}: ${res.body}`);
    }
    const cookie = await cookieFor(ctx.app, 'xo_same');
    const put = await ctx.app.inject({
      method: 'PUT',
      url: '/api/v1/users/me/password',
      headers: { cookie, host: HOST, origin: `http://${HOST}`, 'sec-fetch-site': 'same-origin' },
      payload: { current_password: PASSWORD, new_password: 'same-origin-password' },
    });
    assert.equal(put.statusCode, 204, put.body);
  });

  it('refuses a cross-site login form post with 403 and sets no cookie', async () => {
    await register(ctx.app, 'xo_login');
    for (const cross of CROSS) {
      const res = await login(ctx.app, 'xo_login', PASSWORD, { host: HOST, ...cross });
      assert.equal(res.statusCode, 403, `${JSON.stringify(cross)}: ${res.body}`);
      assert.equal(res.headers['set-cookie'], undefined);
    }
    const same = await login(ctx.app, 'xo_login', PASSWORD, { host: HOST, origin: `http://${HOST}`, 'sec-fetch-site': 'same-origin' });
    assert.equal(same.statusCode, 200);
    assert.ok(same.headers['set-cookie']);
  });
});

describe('login throttling per username', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await startApp({ LOGIN_MAX_FAILURES: '3', LOGIN_MAX_FAILURES_PER_ADDRESS: '1000', LOGIN_WINDOW: '600' });
    for (const name of ['thr_token', 'thr_cookie', 'thr_reset', 'thr_other']) await register(ctx.app, name);
  });
  after(async () => ctx.close());

  function assertThrottled(res: LightMyRequestResponse): void {
    assert.equal(res.statusCode, 429, res.body);
    const retry = res.headers['retry-after'];
    assert.match(String(retry), /^\d+$/);
    assert.ok(Number(retry) >= 1 && Number(retry) <= 600, String(retry));
    assert.equal(typeof res.json<{ detail: string }>().detail, 'string');
    assert.equal(res.headers['set-cookie'], undefined);
    assert.ok(!res.body.includes('access_token'));
  }

  it('answers 429 with Retry-After at /auth after the limit, even for the right password', async () => {
    for (let i = 0; i < 3; i++) assertUnauthorized(await tokenForm(ctx.app, 'thr_token', `wrong-${i}`), BAD_LOGIN.detail);
    assertThrottled(await tokenForm(ctx.app, 'thr_token', PASSWORD));
    assertThrottled(await tokenForm(ctx.app, 'thr_token', 'still-wrong'));
    // The username counts ignoring case, and the lock holds at the other login endpoint too.
    assertThrottled(await tokenForm(ctx.app, 'THR_Token', PASSWORD));
    assertThrottled(await login(ctx.app, 'thr_token', PASSWORD));
    assertThrottled(
      await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/auth',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `username=thr_token&password=${encodeURIComponent(PASSWORD)}`,
      }),
    );
    // Other users are not affected.
    assert.equal((await tokenForm(ctx.app, 'thr_other', PASSWORD)).statusCode, 200);
  });

  it('answers 429 with Retry-After at /users/login after the limit', async () => {
    for (let i = 0; i < 3; i++) assertUnauthorized(await login(ctx.app, 'thr_cookie', `wrong-${i}`), BAD_LOGIN.detail);
    assertThrottled(await login(ctx.app, 'thr_cookie', PASSWORD));
    assertThrottled(await tokenForm(ctx.app, 'thr_cookie', PASSWORD));
  });

  it('throttles unknown usernames the same way, so the answer reveals nothing', async () => {
    for (let i = 0; i < 3; i++) assertUnauthorized(await tokenForm(ctx.app, 'ghost_user', `wrong-${i}`), BAD_LOGIN.detail);
    assertThrottled(await tokenForm(ctx.app, 'ghost_user', PASSWORD));
  });

  it('resets the per-user count after a successful login', async () => {
    for (let i = 0; i < 2; i++) assertUnauthorized(await tokenForm(ctx.app, 'thr_reset', `wrong-${i}`));
    assert.equal((await tokenForm(ctx.app, 'thr_reset', PASSWORD)).statusCode, 200);
    for (let i = 0; i < 2; i++) assertUnauthorized(await login(ctx.app, 'thr_reset', `wrong-again-${i}`));
    // Four failures in all, but never three in a row: still allowed.
    assert.equal((await login(ctx.app, 'thr_reset', PASSWORD)).statusCode, 200);
    for (let i = 0; i < 3; i++) assertUnauthorized(await tokenForm(ctx.app, 'thr_reset', `third-round-${i}`));
    assertThrottled(await tokenForm(ctx.app, 'thr_reset', PASSWORD));
  });

  it('does not let existing sessions be affected by the lock', async () => {
    await register(ctx.app, 'thr_session');
    const t = await token(ctx.app, 'thr_session');
    for (let i = 0; i < 3; i++) assertUnauthorized(await tokenForm(ctx.app, 'thr_session', `wrong-${i}`));
    assertThrottled(await tokenForm(ctx.app, 'thr_session', PASSWORD));
    assert.equal((await me(ctx.app, bearer(t))).statusCode, 200);
  });

  it('counts guesses sent in parallel before hashing them, so a burst cannot pass the limit', async () => {
    await register(ctx.app, 'thr_burst');
    const guesses = Array.from({ length: 12 }, (_, i) => (i === 11 ? PASSWORD : `burst-${i}`));
    const answers = await Promise.all(guesses.map((g) => tokenForm(ctx.app, 'thr_burst', g)));
    const statuses = answers.map((r) => r.statusCode);
    // Three attempts are let through to the password check; every other one is refused unheard.
    assert.equal(statuses.filter((s) => s === 401 || s === 200).length, 3, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 429).length, 9, statuses.join(','));
    assert.equal(statuses[11], 429, 'the right password sent last in the burst is not even tried');
  });

  it('throttles password confirmations (change, deletion) like logins: a stolen session cannot guess', async () => {
    await register(ctx.app, 'thr_confirm');
    const t = await token(ctx.app, 'thr_confirm');
    const change = (current: string) =>
      ctx.app.inject({ method: 'PUT', url: '/api/v1/users/me/password', headers: bearer(t), payload: { current_password: current, new_password: 'brand-new-password' } });
    for (let i = 0; i < 3; i++) assert.equal((await change(`guess-${i}`)).statusCode, 403);
    assertThrottled(await change(PASSWORD));
    const remove = await ctx.app.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: bearer(t), payload: { password: PASSWORD } });
    assertThrottled(remove);
    // Nothing changed: the old password is still the password once the window has passed.
    assert.equal((await me(ctx.app, bearer(t))).statusCode, 200);
  });
});

describe('login throttling per client address', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await startApp({ LOGIN_MAX_FAILURES: '100', LOGIN_MAX_FAILURES_PER_ADDRESS: '4', LOGIN_WINDOW: '600' });
    await register(ctx.app, 'addr_victim');
  });
  after(async () => ctx.close());

  it('answers 429 once one address fails too often across different usernames; other addresses still get in', async () => {
    const from = (remoteAddress: string, username: string, password: string) =>
      ctx.app.inject({
        method: 'POST',
        url: '/auth',
        remoteAddress,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ username, password }).toString(),
      });
    for (let i = 0; i < 4; i++) assertUnauthorized(await from('203.0.113.7', `spray_${i}`, 'Password123'), BAD_LOGIN.detail);
    const blocked = await from('203.0.113.7', 'addr_victim', PASSWORD);
    assert.equal(blocked.statusCode, 429, blocked.body);
    assert.match(String(blocked.headers['retry-after']), /^\d+$/);
    assert.ok(Number(blocked.headers['retry-after']) > 0);
    const blockedCookie = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/users/login',
      remoteAddress: '203.0.113.7',
      payload: { username: 'addr_victim', password: PASSWORD },
    });
    assert.equal(blockedCookie.statusCode, 429);
    assert.match(String(blockedCookie.headers['retry-after']), /^\d+$/);

    const elsewhere = await from('198.51.100.9', 'addr_victim', PASSWORD);
    assert.equal(elsewhere.statusCode, 200, elsewhere.body);
  });
});

describe('admin-only endpoints', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await startApp();
  });
  after(async () => ctx.close());

  it('answers 403 to a non-admin bearer and 401 to an anonymous caller on POST /api/v1/movies', async () => {
    const user = await userToken(ctx.app, 'plain_user');
    const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/movies', headers: bearer(user), payload: { title: 'Not Allowed' } });
    assert.equal(res.statusCode, 403);
    assert.deepEqual(res.json(), { detail: 'Administrator role required', code: 'admin_required' });
    assert.equal(res.headers['www-authenticate'], undefined);

    const anon = await ctx.app.inject({ method: 'POST', url: '/api/v1/movies', payload: { title: 'Not Allowed' } });
    assertUnauthorized(anon);

    const admin = await adminToken(ctx, 'the_admin');
    const ok = await ctx.app.inject({ method: 'POST', url: '/api/v1/movies', headers: bearer(admin), payload: { title: 'Allowed' } });
    assert.equal(ok.statusCode, 201, ok.body);
    const list = await ctx.app.inject({ method: 'GET', url: '/api/v1/movies?q=Not%20Allowed' });
    assert.deepEqual(list.json(), []);
  });

  it('sees a role change at once on an existing session', async () => {
    const user = await register(ctx.app, 'promoted');
    const t = await token(ctx.app, 'promoted');
    const before = await ctx.app.inject({ method: 'POST', url: '/api/v1/movies', headers: bearer(t), payload: { title: 'Promotion', year: 2000 } });
    assert.equal(before.statusCode, 403);
    await ctx.db.updateTable('users').set({ role: 'admin' }).where('id', '=', user.id).execute();
    const afterRes = await ctx.app.inject({ method: 'POST', url: '/api/v1/movies', headers: bearer(t), payload: { title: 'Promotion', year: 2000 } });
    assert.equal(afterRes.statusCode, 201);
    assert.equal((await me(ctx.app, bearer(t))).json<UserBody>().role, 'admin');
  });
});

describe('secrets in the log', () => {
  it('never logs a password, a token or a session cookie, even at trace level', async () => {
    let log = '';
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        log += chunk.toString();
        done();
      },
    });
    const base = loggerOptions(loadConfig({ LOG_LEVEL: 'trace' })) as Record<string, unknown>;
    const ctx = await startApp({ LOG_LEVEL: 'trace' }, { logger: { ...base, level: 'trace', stream } as never });
    const app = ctx.app;
    try {
      const password = 'Log-Sentinel-Password-77';
      const newPassword = 'Log-Sentinel-New-Password-88';
      await register(app, 'logged', password);
      const access = await token(app, 'logged', password);
      const loginRes = await login(app, 'logged', password);
      const cookieSecret = loginRes.cookies.find((c) => c.name === 'butaca_session')!.value;
      await tokenForm(app, 'logged', 'Wrong-Sentinel-Password');
      await me(app, { ...bearer(access), cookie: `butaca_session=${cookieSecret}` });
      const put = await app.inject({
        method: 'PUT',
        url: '/api/v1/users/me/password',
        headers: bearer(access),
        payload: { current_password: password, new_password: newPassword },
      });
      assert.equal(put.statusCode, 204);
      assert.ok(log.length > 0, 'nothing was logged at trace level');
      for (const secret of [password, newPassword, 'Wrong-Sentinel-Password', access, cookieSecret]) {
        assert.ok(!log.includes(secret), `the log contains a secret: ${secret.slice(0, 6)}…`);
      }
    } finally {
      await ctx.close();
    }
  });
});
