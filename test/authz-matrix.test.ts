import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { hashPassword } from '../src/security/passwords.js';
import { insertUser } from '../src/modules/users/index.js';
import { PASSWORD, type TestContext, bearer, createMovie, mediaFixture, sessionCookie, startApp, uploadMedia } from './support/app.js';

/*
 * Who may call what: every endpoint of the contract (api.md's tables) × every kind of caller ×
 * both ways of presenting credentials, asserting the exact status the spec gives.
 *
 * Cookie requests carry no Origin / Sec-Fetch-Site header, as a same-site script or a non-browser
 * client would send them; the cross-site refusal (403 on unsafe cookie requests from another
 * origin) is covered in auth.test.ts, not here.
 *
 * Every cell that changes something gets its own resources (a fresh movie, review, poster or
 * user), so the order of the cells does not matter and one cell cannot mask another.
 */

type Role = 'anonymous' | 'user' | 'other' | 'admin';
type Via = 'cookie' | 'bearer';
const ROLES: Role[] = ['anonymous', 'user', 'other', 'admin'];
const VIAS: Via[] = ['cookie', 'bearer'];

interface Principal {
  id: number;
  username: string;
  cookie: string;
  token: string;
}

interface Call {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  payload?: unknown;
  contentType?: string;
}

interface Cell {
  /** The caller for this cell (undefined for anonymous). */
  caller: Principal | undefined;
  /** The "user" of the row: owner of any review it makes. */
  owner: Principal;
}

interface Row {
  name: string;
  /** Expected status for each role. */
  expect: Record<Role, number>;
  /** Makes what the call needs; receives the cell's principals. */
  call: (cell: Cell) => Promise<Call>;
  /**
   * The call ends or changes the caller's own account or session (logout, password, delete me):
   * the cell gets freshly made principals instead of the shared ones.
   */
  spendsCaller?: boolean;
}

const PUBLIC = (status: number): Record<Role, number> => ({ anonymous: status, user: status, other: status, admin: status });
const ANY_USER = (status: number): Record<Role, number> => ({ anonymous: 401, user: status, other: status, admin: status });
const ADMIN = (status: number): Record<Role, number> => ({ anonymous: 401, user: 403, other: 403, admin: status });

describe('authorization matrix', () => {
  let ctx: TestContext;
  let hash: string;
  let adminHash: string;
  let seq = 0;
  let shared: Record<Exclude<Role, 'anonymous'>, Principal>;
  const unique = (prefix: string): string => `${prefix}${++seq}`;

  /** A user made directly in the database (the hash is computed once: argon2 per cell would be slow), with both credentials. */
  async function principal(role: 'user' | 'admin'): Promise<Principal> {
    const username = unique(role === 'admin' ? 'adm' : 'usr');
    const { id } = await insertUser(ctx.db, username, role === 'admin' ? adminHash : hash, role);
    const login = await ctx.app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { username, password: PASSWORD } });
    assert.equal(login.statusCode, 200, login.body);
    const auth = await ctx.app.inject({ method: 'POST', url: '/auth', payload: { username, password: PASSWORD } });
    assert.equal(auth.statusCode, 200, auth.body);
    return { id, username, cookie: sessionCookie(login), token: auth.json<{ access_token: string }>().access_token };
  }

  const adminBearer = (): string => shared.admin.token;

  async function movie(): Promise<number> {
    return (await createMovie(ctx.app, adminBearer(), { title: unique('Movie '), year: 2001 })).id;
  }

  async function reviewBy(author: Principal, movieId?: number): Promise<number> {
    const id = movieId ?? (await movie());
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/reviews',
      headers: bearer(author.token),
      payload: { movie_id: id, review: 'Fine', score: 4 },
    });
    assert.equal(res.statusCode, 201, res.body);
    return res.json<{ id: number }>().id;
  }

  /** Sends a request as someone and insists it worked: the set-up half of a cell. */
  async function as(who: Principal, method: Call['method'], url: string, payload?: object): Promise<LightMyRequestResponse> {
    const res = await ctx.app.inject({ method, url, headers: bearer(who.token), ...(payload ? { payload } : {}) });
    assert.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body}`);
    return res;
  }

  async function entryBy(author: Principal): Promise<number> {
    const res = await as(author, 'POST', '/api/v1/diary', { movie_id: await movie(), watched_on: '2024-05-01' });
    return res.json<{ id: number }>().id;
  }

  async function listBy(owner: Principal, isPublic = true): Promise<number> {
    const res = await as(owner, 'POST', '/api/v1/lists', { title: unique('List '), public: isPublic });
    return res.json<{ id: number }>().id;
  }

  async function commentOn(reviewId: number, author: Principal): Promise<number> {
    return (await as(author, 'POST', `/api/v1/reviews/${reviewId}/comments`, { text: 'Nice' })).json<{ id: number }>().id;
  }

  async function withAvatar(who: Principal): Promise<void> {
    const res = await ctx.app.inject({
      method: 'PUT',
      url: '/api/v1/users/me/avatar',
      headers: { ...bearer(who.token), 'content-type': 'application/octet-stream' },
      payload: mediaFixture('poster.jpg'),
    });
    assert.ok(res.statusCode === 201 || res.statusCode === 200, res.body);
  }

  async function withMedia(kind: 'poster' | 'trailer'): Promise<number> {
    const id = await movie();
    const res = await uploadMedia(ctx.app, id, kind, mediaFixture(kind === 'poster' ? 'poster.jpg' : 'trailer.mp4'), { token: adminBearer() });
    assert.equal(res.statusCode, 201, res.body);
    return id;
  }

  const ROWS: Row[] = [
    // Service and documents
    { name: 'GET /healthz', expect: PUBLIC(200), call: async () => ({ method: 'GET', url: '/healthz' }) },
    // METRICS=local (the default): this machine's connections, as the matrix's are (another address: test/metrics.test.ts).
    { name: 'GET /metrics', expect: PUBLIC(200), call: async () => ({ method: 'GET', url: '/metrics' }) },
    { name: 'GET /readyz', expect: PUBLIC(200), call: async () => ({ method: 'GET', url: '/readyz' }) },
    { name: 'GET /openapi.json', expect: PUBLIC(200), call: async () => ({ method: 'GET', url: '/openapi.json' }) },

    // Users
    {
      name: 'POST /api/v1/users',
      expect: PUBLIC(201),
      call: async () => ({ method: 'POST', url: '/api/v1/users', payload: { username: unique('new'), password: PASSWORD } }),
    },
    // Anyone may ask (always 202, for any address); a made-up token is refused whoever sends it.
    { name: 'POST /api/v1/users/password-reset', expect: PUBLIC(202), call: async () => ({ method: 'POST', url: '/api/v1/users/password-reset', payload: { email: `${unique('reset')}@example.org` } }) },
    { name: 'POST /api/v1/users/password-reset/confirm', expect: PUBLIC(422), call: async () => ({ method: 'POST', url: '/api/v1/users/password-reset/confirm', payload: { token: 'x'.repeat(43), new_password: 'a-new-password-1' } }) },
    {
      name: 'POST /api/v1/users/login',
      expect: PUBLIC(200),
      call: async () => {
        const someone = await principal('user');
        return { method: 'POST', url: '/api/v1/users/login', payload: { username: someone.username, password: PASSWORD } };
      },
    },
    ...['/auth', '/api/v1/auth'].map((url) => ({
      name: `POST ${url}`,
      expect: PUBLIC(200),
      call: async () => {
        const someone = await principal('user');
        return { method: 'POST' as const, url, payload: { username: someone.username, password: PASSWORD } };
      },
    })),
    { name: 'POST /api/v1/users/logout', expect: ANY_USER(204), spendsCaller: true, call: async () => ({ method: 'POST', url: '/api/v1/users/logout' }) },
    { name: 'GET /api/v1/users/me', expect: ANY_USER(200), call: async () => ({ method: 'GET', url: '/api/v1/users/me' }) },
    {
      name: 'PUT /api/v1/users/me/password',
      expect: ANY_USER(204),
      spendsCaller: true,
      call: async () => ({ method: 'PUT', url: '/api/v1/users/me/password', payload: { current_password: PASSWORD, new_password: 'another-long-password' } }),
    },
    {
      name: 'DELETE /api/v1/users/me',
      expect: ANY_USER(204),
      spendsCaller: true,
      call: async () => ({ method: 'DELETE', url: '/api/v1/users/me', payload: { password: PASSWORD } }),
    },
    { name: 'GET /api/v1/users/reviews', expect: ANY_USER(200), call: async () => ({ method: 'GET', url: '/api/v1/users/reviews' }) },
    { name: 'GET /api/v1/users/{id}', expect: PUBLIC(200), call: async ({ owner }) => ({ method: 'GET', url: `/api/v1/users/${owner.id}` }) },

    // Movies
    { name: 'GET /api/v1/movies', expect: PUBLIC(200), call: async () => ({ method: 'GET', url: '/api/v1/movies' }) },
    { name: 'GET /api/v1/search', expect: PUBLIC(200), call: async () => ({ method: 'GET', url: '/api/v1/search?q=a' }) },
    { name: 'GET /api/v1/movies/{id}', expect: PUBLIC(200), call: async () => ({ method: 'GET', url: `/api/v1/movies/${await movie()}` }) },
    {
      name: 'GET /api/v1/movies/{id}/reviews',
      expect: PUBLIC(200),
      call: async ({ owner }) => {
        const id = await movie();
        await reviewBy(owner, id);
        return { method: 'GET', url: `/api/v1/movies/${id}/reviews` };
      },
    },
    {
      name: 'POST /api/v1/movies',
      expect: ADMIN(201),
      call: async () => ({ method: 'POST', url: '/api/v1/movies', payload: { title: unique('New movie '), year: 1999 } }),
    },
    {
      name: 'PUT /api/v1/movies/{id}',
      expect: ADMIN(200),
      call: async () => ({ method: 'PUT', url: `/api/v1/movies/${await movie()}`, payload: { title: unique('Replaced '), year: 2002, synopsis: null } }),
    },
    {
      name: 'PATCH /api/v1/movies/{id}',
      expect: ADMIN(200),
      call: async () => ({ method: 'PATCH', url: `/api/v1/movies/${await movie()}`, payload: { synopsis: 'Patched' } }),
    },
    { name: 'DELETE /api/v1/movies/{id}', expect: ADMIN(204), call: async () => ({ method: 'DELETE', url: `/api/v1/movies/${await movie()}` }) },

    // Reviews
    { name: 'GET /api/v1/reviews', expect: PUBLIC(200), call: async () => ({ method: 'GET', url: '/api/v1/reviews' }) },
    { name: 'GET /api/v1/reviews/{id}', expect: PUBLIC(200), call: async ({ owner }) => ({ method: 'GET', url: `/api/v1/reviews/${await reviewBy(owner)}` }) },
    {
      name: 'POST /api/v1/reviews',
      expect: ANY_USER(201),
      call: async () => ({ method: 'POST', url: '/api/v1/reviews', payload: { movie_id: await movie(), review: 'Great', score: 5 } }),
    },
    {
      // Owner only: an administrator may remove a review but not put words in someone's mouth.
      name: 'PUT /api/v1/reviews/{id}',
      expect: { anonymous: 401, user: 200, other: 403, admin: 403 },
      call: async ({ owner }) => ({ method: 'PUT', url: `/api/v1/reviews/${await reviewBy(owner)}`, payload: { review: 'Changed', score: 2 } }),
    },
    {
      name: 'PATCH /api/v1/reviews/{id}',
      expect: { anonymous: 401, user: 200, other: 403, admin: 403 },
      call: async ({ owner }) => ({ method: 'PATCH', url: `/api/v1/reviews/${await reviewBy(owner)}`, payload: { score: 1 } }),
    },
    {
      name: 'DELETE /api/v1/reviews/{id}',
      expect: { anonymous: 401, user: 204, other: 403, admin: 204 },
      call: async ({ owner }) => ({ method: 'DELETE', url: `/api/v1/reviews/${await reviewBy(owner)}` }),
    },

    // Profiles and avatars
    { name: 'PATCH /api/v1/users/me', expect: ANY_USER(200), call: async () => ({ method: 'PATCH', url: '/api/v1/users/me', payload: { bio: 'Cinéfilo' } }) },
    { name: 'GET /api/v1/profiles/{username}', expect: PUBLIC(200), call: async ({ owner }) => ({ method: 'GET', url: `/api/v1/profiles/${owner.username}` }) },
    {
      // Fresh callers, so each cell's upload is a first one (201).
      name: 'PUT /api/v1/users/me/avatar',
      expect: ANY_USER(201),
      spendsCaller: true,
      call: async () => ({ method: 'PUT', url: '/api/v1/users/me/avatar', payload: mediaFixture('poster.jpg'), contentType: 'application/octet-stream' }),
    },
    {
      name: 'DELETE /api/v1/users/me/avatar',
      expect: ANY_USER(204),
      spendsCaller: true,
      call: async ({ caller }) => {
        if (caller) await withAvatar(caller);
        return { method: 'DELETE', url: '/api/v1/users/me/avatar' };
      },
    },
    {
      name: 'GET /api/v1/users/{id}/avatar',
      expect: PUBLIC(200),
      call: async () => {
        const someone = await principal('user');
        await withAvatar(someone);
        return { method: 'GET', url: `/api/v1/users/${someone.id}/avatar?w=64` };
      },
    },

    // Ratings: each cell rates a fresh movie first where the call needs a rating to exist
    {
      name: 'GET /api/v1/movies/{id}/rating',
      expect: ANY_USER(200),
      call: async ({ caller }) => {
        const id = await movie();
        if (caller) await as(caller, 'PUT', `/api/v1/movies/${id}/rating`, { rating: 3.5 });
        return { method: 'GET', url: `/api/v1/movies/${id}/rating` };
      },
    },
    { name: 'PUT /api/v1/movies/{id}/rating', expect: ANY_USER(200), call: async () => ({ method: 'PUT', url: `/api/v1/movies/${await movie()}/rating`, payload: { rating: 4.5 } }) },
    {
      name: 'DELETE /api/v1/movies/{id}/rating',
      expect: ANY_USER(204),
      call: async ({ caller }) => {
        const id = await movie();
        if (caller) await as(caller, 'PUT', `/api/v1/movies/${id}/rating`, { rating: 1 });
        return { method: 'DELETE', url: `/api/v1/movies/${id}/rating` };
      },
    },

    // Watchlist
    { name: 'PUT /api/v1/users/me/watchlist/{movie_id}', expect: ANY_USER(204), call: async () => ({ method: 'PUT', url: `/api/v1/users/me/watchlist/${await movie()}` }) },
    { name: 'DELETE /api/v1/users/me/watchlist/{movie_id}', expect: ANY_USER(204), call: async () => ({ method: 'DELETE', url: `/api/v1/users/me/watchlist/${await movie()}` }) },
    { name: 'GET /api/v1/users/me/watchlist', expect: ANY_USER(200), call: async () => ({ method: 'GET', url: '/api/v1/users/me/watchlist' }) },
    { name: 'GET /api/v1/users/{id}/watchlist', expect: PUBLIC(200), call: async ({ owner }) => ({ method: 'GET', url: `/api/v1/users/${owner.id}/watchlist` }) },

    // Diary: the owner only changes an entry; an administrator does not rewrite anyone's diary
    {
      name: 'POST /api/v1/diary',
      expect: ANY_USER(201),
      call: async () => ({ method: 'POST', url: '/api/v1/diary', payload: { movie_id: await movie(), watched_on: '2025-02-03', rating: 2.5, tags: ['cine'] } }),
    },
    { name: 'GET /api/v1/diary/{id}', expect: PUBLIC(200), call: async ({ owner }) => ({ method: 'GET', url: `/api/v1/diary/${await entryBy(owner)}` }) },
    {
      name: 'PATCH /api/v1/diary/{id}',
      expect: { anonymous: 401, user: 200, other: 403, admin: 403 },
      call: async ({ owner }) => ({ method: 'PATCH', url: `/api/v1/diary/${await entryBy(owner)}`, payload: { liked: true } }),
    },
    {
      name: 'DELETE /api/v1/diary/{id}',
      expect: { anonymous: 401, user: 204, other: 403, admin: 403 },
      call: async ({ owner }) => ({ method: 'DELETE', url: `/api/v1/diary/${await entryBy(owner)}` }),
    },
    { name: 'GET /api/v1/users/me/diary', expect: ANY_USER(200), call: async () => ({ method: 'GET', url: '/api/v1/users/me/diary' }) },
    { name: 'GET /api/v1/users/{id}/diary', expect: PUBLIC(200), call: async ({ owner }) => ({ method: 'GET', url: `/api/v1/users/${owner.id}/diary` }) },
    {
      name: 'GET /api/v1/users/me/movie-states',
      expect: ANY_USER(200),
      call: async () => ({ method: 'GET', url: `/api/v1/users/me/movie-states?ids=${await movie()}` }),
    },

    // Likes and comments
    { name: 'PUT /api/v1/reviews/{id}/like', expect: ANY_USER(204), call: async ({ owner }) => ({ method: 'PUT', url: `/api/v1/reviews/${await reviewBy(owner)}/like` }) },
    { name: 'DELETE /api/v1/reviews/{id}/like', expect: ANY_USER(204), call: async ({ owner }) => ({ method: 'DELETE', url: `/api/v1/reviews/${await reviewBy(owner)}/like` }) },
    { name: 'GET /api/v1/users/me/likes', expect: ANY_USER(200), call: async () => ({ method: 'GET', url: '/api/v1/users/me/likes' }) },
    // One import and one export a minute per member: each cell its own caller, so the throttle never answers for the rule.
    {
      name: 'POST /api/v1/users/me/import/letterboxd',
      expect: ANY_USER(200),
      spendsCaller: true,
      call: async () => ({ method: 'POST', url: '/api/v1/users/me/import/letterboxd?name=watchlist.csv', payload: 'Date,Name,Year,Letterboxd URI\n', contentType: 'text/csv' }),
    },
    { name: 'GET /api/v1/users/me/export', expect: ANY_USER(200), spendsCaller: true, call: async () => ({ method: 'GET', url: '/api/v1/users/me/export' }) },
    { name: 'GET /api/v1/users/me/review-states', expect: ANY_USER(200), call: async ({ owner }) => ({ method: 'GET', url: `/api/v1/users/me/review-states?ids=${await reviewBy(owner)}` }) },
    { name: 'GET /api/v1/comments/{id}', expect: PUBLIC(200), call: async ({ owner }) => ({ method: 'GET', url: `/api/v1/comments/${await commentOn(await reviewBy(shared.admin), owner)}` }) },
    { name: 'GET /api/v1/reviews/{id}/comments', expect: PUBLIC(200), call: async ({ owner }) => ({ method: 'GET', url: `/api/v1/reviews/${await reviewBy(owner)}/comments` }) },
    {
      name: 'POST /api/v1/reviews/{id}/comments',
      expect: ANY_USER(201),
      call: async ({ owner }) => ({ method: 'POST', url: `/api/v1/reviews/${await reviewBy(owner)}/comments`, payload: { text: 'Agreed' } }),
    },
    {
      // The comment's author is the row's user; someone else's review: only its author, the comment's author or an admin.
      name: 'DELETE /api/v1/comments/{id}',
      expect: { anonymous: 401, user: 204, other: 403, admin: 204 },
      call: async ({ owner }) => ({ method: 'DELETE', url: `/api/v1/comments/${await commentOn(await reviewBy(shared.admin), owner)}` }),
    },

    // Follows and the feed
    { name: 'PUT /api/v1/users/me/following/{user_id}', expect: ANY_USER(204), call: async () => ({ method: 'PUT', url: `/api/v1/users/me/following/${(await principal('user')).id}` }) },
    { name: 'DELETE /api/v1/users/me/following/{user_id}', expect: ANY_USER(204), call: async () => ({ method: 'DELETE', url: `/api/v1/users/me/following/${(await principal('user')).id}` }) },
    { name: 'GET /api/v1/users/me/follow-states', expect: ANY_USER(200), call: async ({ owner }) => ({ method: 'GET', url: `/api/v1/users/me/follow-states?ids=${owner.id}` }) },
    { name: 'GET /api/v1/users/{id}/followers', expect: PUBLIC(200), call: async ({ owner }) => ({ method: 'GET', url: `/api/v1/users/${owner.id}/followers` }) },
    { name: 'GET /api/v1/users/{id}/following', expect: PUBLIC(200), call: async ({ owner }) => ({ method: 'GET', url: `/api/v1/users/${owner.id}/following` }) },
    { name: 'GET /api/v1/users/me/followers', expect: ANY_USER(200), call: async () => ({ method: 'GET', url: '/api/v1/users/me/followers' }) },
    { name: 'GET /api/v1/users/me/following', expect: ANY_USER(200), call: async () => ({ method: 'GET', url: '/api/v1/users/me/following' }) },
    { name: 'GET /api/v1/users/me/lists', expect: ANY_USER(200), call: async () => ({ method: 'GET', url: '/api/v1/users/me/lists' }) },
    { name: 'GET /api/v1/users/me/feed', expect: ANY_USER(200), call: async () => ({ method: 'GET', url: '/api/v1/users/me/feed' }) },

    // Lists: a private list is 404 to everyone but its owner (the row's user)
    { name: 'POST /api/v1/lists', expect: ANY_USER(201), call: async () => ({ method: 'POST', url: '/api/v1/lists', payload: { title: unique('New list ') } }) },
    { name: 'GET /api/v1/lists/{id}', expect: PUBLIC(200), call: async ({ owner }) => ({ method: 'GET', url: `/api/v1/lists/${await listBy(owner)}` }) },
    {
      name: 'GET /api/v1/lists/{id} (private)',
      expect: { anonymous: 404, user: 200, other: 404, admin: 404 },
      call: async ({ owner }) => ({ method: 'GET', url: `/api/v1/lists/${await listBy(owner, false)}` }),
    },
    {
      name: 'PATCH /api/v1/lists/{id}',
      expect: { anonymous: 401, user: 200, other: 403, admin: 403 },
      call: async ({ owner }) => ({ method: 'PATCH', url: `/api/v1/lists/${await listBy(owner)}`, payload: { title: 'Renamed' } }),
    },
    {
      name: 'DELETE /api/v1/lists/{id}',
      expect: { anonymous: 401, user: 204, other: 403, admin: 204 },
      call: async ({ owner }) => ({ method: 'DELETE', url: `/api/v1/lists/${await listBy(owner)}` }),
    },
    {
      name: 'DELETE /api/v1/lists/{id} (private)',
      expect: { anonymous: 401, user: 204, other: 404, admin: 404 },
      call: async ({ owner }) => ({ method: 'DELETE', url: `/api/v1/lists/${await listBy(owner, false)}` }),
    },
    { name: 'GET /api/v1/lists/{id}/items', expect: PUBLIC(200), call: async ({ owner }) => ({ method: 'GET', url: `/api/v1/lists/${await listBy(owner)}/items` }) },
    {
      name: 'GET /api/v1/lists/{id}/items (private)',
      expect: { anonymous: 404, user: 200, other: 404, admin: 404 },
      call: async ({ owner }) => ({ method: 'GET', url: `/api/v1/lists/${await listBy(owner, false)}/items` }),
    },
    {
      name: 'PUT /api/v1/lists/{id}/items/{movie_id}',
      expect: { anonymous: 401, user: 200, other: 403, admin: 403 },
      call: async ({ owner }) => ({ method: 'PUT', url: `/api/v1/lists/${await listBy(owner)}/items/${await movie()}`, payload: { note: 'Watch first' } }),
    },
    {
      name: 'DELETE /api/v1/lists/{id}/items/{movie_id}',
      expect: { anonymous: 401, user: 204, other: 403, admin: 403 },
      call: async ({ owner }) => ({ method: 'DELETE', url: `/api/v1/lists/${await listBy(owner)}/items/${await movie()}` }),
    },
    { name: 'GET /api/v1/users/{id}/lists', expect: PUBLIC(200), call: async ({ owner }) => ({ method: 'GET', url: `/api/v1/users/${owner.id}/lists` }) },

    // Posters and trailers
    ...(['poster', 'trailer'] as const).flatMap((kind): Row[] => {
      const file = (): Buffer => mediaFixture(kind === 'poster' ? 'poster.jpg' : 'trailer.mp4');
      return [
        { name: `GET /api/v1/movies/{id}/${kind}`, expect: PUBLIC(200), call: async () => ({ method: 'GET', url: `/api/v1/movies/${await withMedia(kind)}/${kind}` }) },
        { name: `HEAD /api/v1/movies/{id}/${kind}`, expect: PUBLIC(200), call: async () => ({ method: 'HEAD', url: `/api/v1/movies/${await withMedia(kind)}/${kind}` }) },
        {
          name: `POST /api/v1/movies/{id}/${kind}`,
          expect: ADMIN(201),
          call: async () => ({ method: 'POST', url: `/api/v1/movies/${await movie()}/${kind}`, payload: file(), contentType: 'application/octet-stream' }),
        },
        {
          // A movie that has one already: the admin's PUT replaces it (200).
          name: `PUT /api/v1/movies/{id}/${kind}`,
          expect: ADMIN(200),
          call: async () => ({ method: 'PUT', url: `/api/v1/movies/${await withMedia(kind)}/${kind}`, payload: file(), contentType: 'application/octet-stream' }),
        },
        { name: `DELETE /api/v1/movies/{id}/${kind}`, expect: ADMIN(204), call: async () => ({ method: 'DELETE', url: `/api/v1/movies/${await withMedia(kind)}/${kind}` }) },
      ];
    }),
  ];

  before(async () => {
    ctx = await startApp();
    [hash, adminHash] = await Promise.all([hashPassword(PASSWORD), hashPassword(PASSWORD)]);
    shared = { user: await principal('user'), other: await principal('user'), admin: await principal('admin') };
  });
  after(async () => ctx.close());

  function headersFor(caller: Principal | undefined, via: Via): Record<string, string> {
    if (!caller) return {};
    return via === 'bearer' ? bearer(caller.token) : { cookie: caller.cookie };
  }

  async function send(call: Call, headers: Record<string, string>): Promise<LightMyRequestResponse> {
    const all = { ...headers, ...(call.contentType ? { 'content-type': call.contentType } : {}) };
    return ctx.app.inject({
      method: call.method,
      url: call.url,
      headers: all,
      ...(call.payload === undefined ? {} : { payload: call.payload as object }),
    });
  }

  for (const row of ROWS) {
    it(row.name, async () => {
      const failures: string[] = [];
      for (const role of ROLES) {
        for (const via of VIAS) {
          // Anonymous has no credentials to present: one cell is enough.
          if (role === 'anonymous' && via === 'cookie') continue;
          let cell: Cell;
          if (row.spendsCaller) {
            const owner = await principal('user');
            const caller = role === 'anonymous' ? undefined : role === 'user' ? owner : await principal(role === 'admin' ? 'admin' : 'user');
            cell = { owner, caller };
          } else {
            cell = { owner: shared.user, caller: role === 'anonymous' ? undefined : shared[role] };
          }
          const call = await row.call(cell);
          const res = await send(call, headersFor(cell.caller, via));
          const expected = row.expect[role];
          const label = `${role} via ${role === 'anonymous' ? 'nothing' : via}`;
          if (res.statusCode !== expected) {
            failures.push(`${label}: expected ${expected}, got ${res.statusCode} ${res.body.slice(0, 200)}`);
            continue;
          }
          if (expected === 401) {
            if (res.headers['www-authenticate'] !== 'Bearer') failures.push(`${label}: 401 without WWW-Authenticate: Bearer`);
          }
          if (expected === 401 || expected === 403) {
            const detail = (res.json<{ detail?: unknown }>()).detail;
            if (typeof detail !== 'string') failures.push(`${label}: ${expected} without a string detail: ${res.body}`);
          }
        }
      }
      assert.deepEqual(failures, []);
    });
  }

  it('covers every operation of the OpenAPI document', async () => {
    // A new endpoint without a row here would escape the matrix; this makes it fail instead.
    const doc = (await ctx.app.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: Record<string, Record<string, unknown>> }>();
    const operations = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops)
        .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
        .map((m) => `${m.toUpperCase()} ${p}`),
    );
    const covered = new Set(ROWS.map((r) => r.name));
    const missing = operations.filter((op) => !covered.has(op));
    assert.deepEqual(missing, []);
  });
});
