import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type CallOptions,
  type Member,
  type Method,
  PASSWORD,
  type TestContext,
  adminToken,
  assertInvalid,
  callAs,
  createMovie,
  dbProblemsOf,
  manyMembers,
  startApp,
} from './support/app.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { addToWatchlist } from '../src/modules/watchlist/index.js';
import { REVIEW_KEYS } from './support/fields.js';

/*
 * community.md, Likes and comments on reviews, the spoiler flag, Follows and the feed, through
 * HTTP on the database the run is for (npm run test:sqlite, test:pg).
 */

interface Review {
  id: number;
  user_id: number;
  spoiler: boolean;
  like_count: number;
  comment_count: number;
  review: string;
}
interface Comment {
  id: number;
  review_id: number;
  user_id: number;
  username: string;
  text: string;
  created_at: string;
}
interface Activity {
  id: number;
  type: string;
  user: { id: number; username: string };
  movie: { id: number } | null;
  review: { id: number } | null;
  diary: { id: number } | null;
  list: { id: number } | null;
  followed: { id: number; username: string } | null;
}

let ctx: TestContext;
let admin: string;
let people: Member[];
let seq = 0;

const call = (method: Method, url: string, opts: CallOptions = {}) => callAs(ctx.app, method, url, opts);
const newMovie = async (): Promise<number> => (await createMovie(ctx.app, admin, { title: `Community ${++seq}`, year: 1950 + (seq % 70) })).id;

async function review(who: Member, movieId: number, extra: Record<string, unknown> = {}): Promise<Review> {
  const res = await call('POST', '/api/v1/reviews', { token: who.token, payload: { movie_id: movieId, review: `Thoughts ${++seq}`, score: 4, ...extra } });
  assert.equal(res.statusCode, 201, res.body);
  return res.json<Review>();
}
const getReview = async (id: number): Promise<Review> => (await call('GET', `/api/v1/reviews/${id}`)).json<Review>();
const expect = async (status: number, method: Method, url: string, opts: CallOptions = {}) => {
  const res = await call(method, url, opts);
  assert.equal(res.statusCode, status, `${method} ${url}: ${res.body}`);
  return res;
};

before(async () => {
  ctx = await startApp();
  admin = await adminToken(ctx);
  people = await manyMembers(ctx, 'member', 60);
});
after(async () => {
  assert.deepEqual(await dbProblemsOf(ctx), []);
  await ctx.close();
});

describe('likes', () => {
  it('are idempotent both ways, counted on the review, and 404 for a review that does not exist', async () => {
    const r = await review(people[0]!, await newMovie());
    assert.deepEqual(Object.keys(r).sort(), REVIEW_KEYS);
    assert.equal(r.like_count, 0);
    for (let i = 0; i < 2; i++) await expect(204, 'PUT', `/api/v1/reviews/${r.id}/like`, { token: people[1]!.token });
    assert.equal((await getReview(r.id)).like_count, 1);
    for (let i = 0; i < 2; i++) await expect(204, 'DELETE', `/api/v1/reviews/${r.id}/like`, { token: people[1]!.token });
    assert.equal((await getReview(r.id)).like_count, 0);
    for (const method of ['PUT', 'DELETE'] as const) {
      const res = await expect(404, method, '/api/v1/reviews/99999999/like', { token: people[1]!.token });
      assert.equal(res.json<{ code: string }>().code, 'review_not_found');
    }
    await expect(401, 'PUT', `/api/v1/reviews/${r.id}/like`);
  });

  it('keep like_count exact under 50 concurrent likers, and under likes and unlikes at once', async () => {
    const r = await review(people[0]!, await newMovie());
    const likers = people.slice(1, 51);
    const results = await Promise.all(likers.map((p) => call('PUT', `/api/v1/reviews/${r.id}/like`, { token: p.token })));
    assert.deepEqual(results.map((res) => res.statusCode), likers.map(() => 204));
    assert.equal((await getReview(r.id)).like_count, 50);
    // Half take theirs back while the other half like again (no change for them).
    await Promise.all(likers.map((p, i) => call(i % 2 ? 'DELETE' : 'PUT', `/api/v1/reviews/${r.id}/like`, { token: p.token })));
    assert.equal((await getReview(r.id)).like_count, 25);
  });

  it('lists the reviews a member liked, last liked first, and tells which reviews of a page they like', async () => {
    const me = people[2]!;
    const reviews = [];
    for (let i = 0; i < 3; i++) reviews.push(await review(people[3 + i]!, await newMovie()));
    for (const r of [reviews[1]!, reviews[0]!, reviews[2]!]) await expect(204, 'PUT', `/api/v1/reviews/${r.id}/like`, { token: me.token });
    const res = await expect(200, 'GET', '/api/v1/users/me/likes?limit=2', { token: me.token });
    assert.equal(res.headers['x-total-count'], String(3 + 0));
    assert.deepEqual(res.json<Review[]>().map((r) => r.id), [reviews[2]!.id, reviews[0]!.id]);
    const page2 = await expect(200, 'GET', '/api/v1/users/me/likes?limit=2&page=2', { token: me.token });
    assert.deepEqual(page2.json<Review[]>().map((r) => r.id), [reviews[1]!.id]);
    const states = await expect(200, 'GET', `/api/v1/users/me/review-states?ids=${reviews[0]!.id},99999999`, { token: me.token });
    assert.deepEqual(states.json(), [
      { review_id: reviews[0]!.id, liked: true },
      { review_id: 99999999, liked: false },
    ]);
    assertInvalid(await call('GET', '/api/v1/users/me/review-states?ids=a,b', { token: me.token }), [['query', 'ids']]);
    // An id past the 32-bit columns is a 422, on PostgreSQL too (not a database error).
    for (const url of ['/api/v1/users/me/review-states', '/api/v1/users/me/follow-states', '/api/v1/users/me/movie-states']) {
      assertInvalid(await call('GET', `${url}?ids=1,9999999999`, { token: me.token }), [['query', 'ids']]);
    }
  });

  it('order review lists by likes (most liked first, ties by id in the same direction), on all, a movie’s and a member’s reviews', async () => {
    const movieId = await newMovie();
    const rs = [];
    for (let i = 0; i < 3; i++) rs.push(await review(people[10 + i]!, movieId));
    const likes = [1, 3, 1];
    for (const [i, r] of rs.entries()) for (let k = 0; k < likes[i]!; k++) await expect(204, 'PUT', `/api/v1/reviews/${r.id}/like`, { token: people[20 + k]!.token });
    const byMovie = await expect(200, 'GET', `/api/v1/movies/${movieId}/reviews?sort=likes`);
    // Ties by id in the sort's direction, as every sort of the API (a page read from either end holds the same rows).
    assert.deepEqual(byMovie.json<Review[]>().map((r) => r.id), [rs[1]!.id, rs[2]!.id, rs[0]!.id]);
    const asc = await expect(200, 'GET', `/api/v1/reviews?movie_id=${movieId}&sort=likes&order=asc`);
    assert.deepEqual(asc.json<Review[]>().map((r) => r.id), [rs[0]!.id, rs[2]!.id, rs[1]!.id]);
    const all = await expect(200, 'GET', '/api/v1/reviews?sort=likes&limit=100');
    const counts = all.json<Review[]>().map((r) => r.like_count);
    assert.deepEqual(counts, [...counts].sort((a, b) => b - a));
  });
});

describe('comments', () => {
  it('are posted (201, trimmed), listed oldest first, counted on the review, and validated', async () => {
    const r = await review(people[0]!, await newMovie());
    const res = await expect(201, 'POST', `/api/v1/reviews/${r.id}/comments`, { token: people[1]!.token, payload: { text: '  So true.  ' } });
    const first = res.json<Comment>();
    assert.equal(res.headers.location, `/api/v1/comments/${first.id}`);
    assert.deepEqual((await expect(200, 'GET', res.headers.location)).json(), first);
    assert.deepEqual(Object.keys(first).sort(), ['created_at', 'id', 'review_id', 'text', 'user_id', 'username']);
    assert.deepEqual({ ...first, id: 0, created_at: '' }, { id: 0, review_id: r.id, user_id: people[1]!.id, username: people[1]!.username, text: 'So true.', created_at: '' });
    for (let i = 0; i < 3; i++) await expect(201, 'POST', `/api/v1/reviews/${r.id}/comments`, { token: people[2 + i]!.token, payload: { text: `reply ${i}` } });
    const list = await expect(200, 'GET', `/api/v1/reviews/${r.id}/comments?limit=3`);
    assert.equal(list.headers['x-total-count'], '4');
    assert.deepEqual(list.json<Comment[]>().map((c) => c.text), ['So true.', 'reply 0', 'reply 1']);
    assert.equal((await getReview(r.id)).comment_count, 4);
    assertInvalid(await call('POST', `/api/v1/reviews/${r.id}/comments`, { token: people[1]!.token, payload: { text: '   ' } }), [['body', 'text']]);
    assertInvalid(await call('POST', `/api/v1/reviews/${r.id}/comments`, { token: people[1]!.token, payload: { text: 'x'.repeat(2001) } }), [['body', 'text']]);
    await expect(201, 'POST', `/api/v1/reviews/${r.id}/comments`, { token: people[1]!.token, payload: { text: 'x'.repeat(2000) } });
    await expect(404, 'POST', '/api/v1/reviews/99999999/comments', { token: people[1]!.token, payload: { text: 'hello' } });
    await expect(404, 'GET', '/api/v1/reviews/99999999/comments');
    assert.equal((await getReview(r.id)).comment_count, 5);
  });

  it('keep comment_count exact when many are posted at once', async () => {
    const r = await review(people[0]!, await newMovie());
    const posted = await Promise.all(people.slice(1, 31).map((p) => call('POST', `/api/v1/reviews/${r.id}/comments`, { token: p.token, payload: { text: 'me too' } })));
    assert.ok(posted.every((res) => res.statusCode === 201));
    assert.equal((await getReview(r.id)).comment_count, 30);
  });

  it('are deleted by their author, the review’s author or an admin; others get 403', async () => {
    const author = people[5]!;
    const r = await review(author, await newMovie());
    const post = async (who: Member) => (await expect(201, 'POST', `/api/v1/reviews/${r.id}/comments`, { token: who.token, payload: { text: 'hm' } })).json<Comment>();
    const [a, b, c] = [await post(people[6]!), await post(people[6]!), await post(people[6]!)];
    const refused = await expect(403, 'DELETE', `/api/v1/comments/${a.id}`, { token: people[7]!.token });
    assert.equal(refused.json<{ code: string }>().code, 'not_comment_deleter');
    await expect(204, 'DELETE', `/api/v1/comments/${a.id}`, { token: people[6]!.token });
    await expect(204, 'DELETE', `/api/v1/comments/${b.id}`, { token: author.token });
    await expect(204, 'DELETE', `/api/v1/comments/${c.id}`, { token: admin });
    const gone = await expect(404, 'DELETE', `/api/v1/comments/${c.id}`, { token: admin });
    assert.equal(gone.json<{ code: string }>().code, 'comment_not_found');
    assert.equal((await getReview(r.id)).comment_count, 0);
  });

  it('go with their review', async () => {
    const author = people[8]!;
    const r = await review(author, await newMovie());
    for (let i = 0; i < 3; i++) await expect(201, 'POST', `/api/v1/reviews/${r.id}/comments`, { token: people[9]!.token, payload: { text: `c${i}` } });
    await expect(204, 'DELETE', `/api/v1/reviews/${r.id}`, { token: author.token });
    await expect(404, 'GET', `/api/v1/reviews/${r.id}/comments`);
    const left = await ctx.db.selectFrom('comments').select('id').where('review_id', '=', r.id).execute();
    assert.deepEqual(left, []);
  });

  it('are throttled at 100 a minute per member, from any address (429 with Retry-After), nothing kept past it', async () => {
    const [poster] = await manyMembers(ctx, 'chatty', 1);
    const r = await review(people[0]!, await newMovie());
    for (let i = 0; i < 100; i++) await expect(201, 'POST', `/api/v1/reviews/${r.id}/comments`, { token: poster!.token, payload: { text: `n${i}` } });
    const res = await expect(429, 'POST', `/api/v1/reviews/${r.id}/comments`, { token: poster!.token, payload: { text: 'one more' } });
    assert.ok(Number(res.headers['retry-after']) >= 1, JSON.stringify(res.headers));
    assert.equal(res.json<{ code: string }>().code, 'too_many_requests');
    assert.equal((await getReview(r.id)).comment_count, 100);
    // Another member is not held back by this one.
    await expect(201, 'POST', `/api/v1/reviews/${r.id}/comments`, { token: people[1]!.token, payload: { text: 'still here' } });
  });
});

describe('the spoiler flag', () => {
  it('is false by default, set on POST, kept by a PUT without it, changed by PATCH and PUT', async () => {
    const me = people[11]!;
    const plain = await review(me, await newMovie());
    assert.equal(plain.spoiler, false);
    const marked = await review(me, await newMovie(), { spoiler: true });
    assert.equal(marked.spoiler, true);
    const put = await expect(200, 'PUT', `/api/v1/reviews/${marked.id}`, { token: me.token, payload: { review: 'New text', score: 3 } });
    assert.equal(put.json<Review>().spoiler, true);
    const patched = await expect(200, 'PATCH', `/api/v1/reviews/${marked.id}`, { token: me.token, payload: { spoiler: false } });
    assert.equal(patched.json<Review>().spoiler, false);
    const again = await expect(200, 'PUT', `/api/v1/reviews/${marked.id}`, { token: me.token, payload: { review: 'New text', score: 3, spoiler: true } });
    assert.equal(again.json<Review>().spoiler, true);
    assertInvalid(await call('PATCH', `/api/v1/reviews/${marked.id}`, { token: me.token, payload: { spoiler: 'yes' } }), [['body', 'spoiler']]);
  });
});

interface UserCounts {
  id: number;
  follower_count: number;
  following_count: number;
}

describe('follows', () => {
  const userOf = async (id: number) => (await expect(200, 'GET', `/api/v1/users/${id}`)).json<UserCounts>();

  it('are idempotent; yourself is 422, an unknown member 404; the lists and the counts follow', async () => {
    const [a, b, c] = await manyMembers(ctx, 'follower', 3);
    for (let i = 0; i < 2; i++) await expect(204, 'PUT', `/api/v1/users/me/following/${b!.id}`, { token: a!.token });
    await expect(204, 'PUT', `/api/v1/users/me/following/${b!.id}`, { token: c!.token });
    await expect(204, 'PUT', `/api/v1/users/me/following/${c!.id}`, { token: a!.token });
    assertInvalid(await call('PUT', `/api/v1/users/me/following/${a!.id}`, { token: a!.token }), [['path', 'user_id']]);
    for (const method of ['PUT', 'DELETE'] as const) {
      const res = await expect(404, method, '/api/v1/users/me/following/99999999', { token: a!.token });
      assert.equal(res.json<{ code: string }>().code, 'user_not_found');
    }
    assert.deepEqual([await userOf(a!.id), await userOf(b!.id)].map((u) => [u.follower_count, u.following_count]), [
      [0, 2],
      [2, 0],
    ]);
    const followers = await expect(200, 'GET', `/api/v1/users/${b!.id}/followers`);
    assert.equal(followers.headers['x-total-count'], '2');
    assert.deepEqual(followers.json<UserCounts[]>().map((u) => u.id), [c!.id, a!.id]);
    const following = await expect(200, 'GET', `/api/v1/users/${a!.id}/following`);
    assert.deepEqual(following.json<UserCounts[]>().map((u) => u.id), [c!.id, b!.id]);
    const states = await expect(200, 'GET', `/api/v1/users/me/follow-states?ids=${b!.id},${a!.id}`, { token: c!.token });
    assert.deepEqual(states.json(), [
      { user_id: b!.id, following: true },
      { user_id: a!.id, following: false },
    ]);
    // The caller's own, at /users/me/…, as the diary and watchlist are.
    assert.deepEqual((await expect(200, 'GET', '/api/v1/users/me/following', { token: a!.token })).json<UserCounts[]>().map((u) => u.id), [c!.id, b!.id]);
    assert.deepEqual((await expect(200, 'GET', '/api/v1/users/me/followers', { token: b!.token })).json<UserCounts[]>().map((u) => u.id), [c!.id, a!.id]);
    for (let i = 0; i < 2; i++) await expect(204, 'DELETE', `/api/v1/users/me/following/${b!.id}`, { token: a!.token });
    assert.equal((await userOf(b!.id)).follower_count, 1);
    await expect(404, 'GET', '/api/v1/users/99999999/followers');
  });

  it('keep the counts exact under concurrency, also for two members following each other at once', async () => {
    const [star, ...fans] = await manyMembers(ctx, 'fan', 31);
    const res = await Promise.all(fans.map((f) => call('PUT', `/api/v1/users/me/following/${star!.id}`, { token: f.token })));
    assert.ok(res.every((r) => r.statusCode === 204));
    assert.equal((await userOf(star!.id)).follower_count, 30);
    // A ↔ B at the same moment, many pairs: the two users' rows are locked in one order.
    const pairs = fans.slice(0, 20);
    const mutual = await Promise.all(
      pairs.flatMap((f, i) => {
        const other = pairs[(i + 1) % pairs.length]!;
        return [call('PUT', `/api/v1/users/me/following/${other.id}`, { token: f.token }), call('PUT', `/api/v1/users/me/following/${f.id}`, { token: other.token })];
      }),
    );
    assert.deepEqual([...new Set(mutual.map((r) => r.statusCode))], [204]);
    for (const f of pairs) assert.equal((await userOf(f.id)).following_count, 3);
  });
});

describe('the feed', () => {
  const feed = async (who: Member, query = '') => {
    const res = await expect(200, 'GET', `/api/v1/users/me/feed${query}`, { token: who.token });
    return { activities: res.json<Activity[]>(), next: /<([^>]+)>; rel="next"/.exec(String(res.headers.link ?? ''))?.[1] };
  };

  it('shows what the people a member follows did, of every type, newest first, never the member’s own or a private list', async () => {
    const [me, friend, stranger] = await manyMembers(ctx, 'reader', 3);
    await expect(204, 'PUT', `/api/v1/users/me/following/${friend!.id}`, { token: me!.token });
    const m1 = await newMovie();
    const m2 = await newMovie();
    const r = await review(friend!, m1);
    const entry = (await expect(201, 'POST', '/api/v1/diary', { token: friend!.token, payload: { movie_id: m1, watched_on: '2024-05-01' } })).json<{ id: number }>();
    await expect(204, 'PUT', `/api/v1/users/me/watchlist/${m2}`, { token: friend!.token });
    await expect(204, 'PUT', `/api/v1/users/me/watchlist/${m2}`, { token: friend!.token }); // again: no second activity
    const list = (await expect(201, 'POST', '/api/v1/lists', { token: friend!.token, payload: { title: 'Favourites' } })).json<{ id: number }>();
    await expect(201, 'POST', '/api/v1/lists', { token: friend!.token, payload: { title: 'Secret', public: false } });
    await expect(204, 'PUT', `/api/v1/users/me/following/${stranger!.id}`, { token: friend!.token });
    await review(me!, m2); // mine: not in my feed
    await review(stranger!, m2); // not followed
    const { activities, next } = await feed(me!);
    assert.equal(next, undefined);
    assert.deepEqual(
      activities.map((a) => [a.type, a.user.id]),
      [
        ['follow', friend!.id],
        ['list', friend!.id],
        ['watchlist', friend!.id],
        ['diary', friend!.id],
        ['review', friend!.id],
      ],
    );
    const [follow, listed, watch, diary, reviewed] = activities;
    assert.deepEqual(follow!.followed, { id: stranger!.id, username: stranger!.username });
    assert.equal(listed!.list!.id, list.id);
    assert.equal(watch!.movie!.id, m2);
    assert.equal(diary!.diary!.id, entry.id);
    assert.equal(diary!.movie!.id, m1);
    assert.equal(reviewed!.review!.id, r.id);
    assert.deepEqual(Object.keys(reviewed!).sort(), ['created_at', 'diary', 'followed', 'id', 'list', 'movie', 'review', 'type', 'user']);
    assert.equal(reviewed!.list, null);
    const ids = activities.map((a) => a.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a));
  });

  it('pages by cursor, with no repeats and no gaps while new activity arrives', async () => {
    const [me, ...friends] = await manyMembers(ctx, 'pager', 4);
    for (const f of friends) await expect(204, 'PUT', `/api/v1/users/me/following/${f.id}`, { token: me!.token });
    const movies = [];
    for (let i = 0; i < 12; i++) movies.push(await newMovie());
    for (const [i, m] of movies.entries()) await expect(204, 'PUT', `/api/v1/users/me/watchlist/${m}`, { token: friends[i % 3]!.token });
    const seen: number[] = [];
    let page = await feed(me!, '?limit=5');
    seen.push(...page.activities.map((a) => a.id));
    let inserted = 0;
    while (page.next) {
      // Something new between two page fetches: it goes on top, the next page follows on.
      await expect(204, 'PUT', `/api/v1/users/me/watchlist/${movies[inserted++]!}`, { token: me!.token }); // mine: never in my feed
      await review(friends[inserted % 3]!, await newMovie());
      const url = new URL(page.next, 'http://x');
      assert.equal(url.pathname, '/api/v1/users/me/feed');
      page = await feed(me!, url.search);
      seen.push(...page.activities.map((a) => a.id));
    }
    // The 12 watchlist additions that were there at the start, each once, in order; no review (they arrived above the cursor).
    assert.equal(seen.length, 12);
    assert.deepEqual(seen, [...seen].sort((a, b) => b - a));
    assert.equal(new Set(seen).size, 12);
    const fresh = await feed(me!, '?limit=100');
    assert.equal(fresh.activities.length, 12 + inserted);
    assertInvalid(await call('GET', '/api/v1/users/me/feed?before=bm9wZQ', { token: me!.token }), [['query', 'before']]);
    assertInvalid(await call('GET', '/api/v1/users/me/feed?limit=0', { token: me!.token }), [['query', 'limit']]);
    await expect(401, 'GET', '/api/v1/users/me/feed');
  });

  it('loses what is deleted or made private, everything of someone unfollowed, and a deleted account’s activity', async () => {
    const [me, friend, other] = await manyMembers(ctx, 'watcher', 3);
    for (const f of [friend!, other!]) await expect(204, 'PUT', `/api/v1/users/me/following/${f.id}`, { token: me!.token });
    const m = await newMovie();
    const r = await review(friend!, m);
    const entry = (await expect(201, 'POST', '/api/v1/diary', { token: friend!.token, payload: { movie_id: m, watched_on: '2024-05-02' } })).json<{ id: number }>();
    const m2 = await newMovie();
    await expect(204, 'PUT', `/api/v1/users/me/watchlist/${m2}`, { token: friend!.token });
    const list = (await expect(201, 'POST', '/api/v1/lists', { token: friend!.token, payload: { title: 'Soon private' } })).json<{ id: number }>();
    await review(other!, m);
    const types = async () => (await feed(me!, '?limit=100')).activities.map((a) => `${a.type}:${a.user.id === friend!.id ? 'f' : 'o'}`);
    assert.deepEqual(await types(), ['review:o', 'list:f', 'watchlist:f', 'diary:f', 'review:f']);
    await expect(200, 'PATCH', `/api/v1/lists/${list.id}`, { token: friend!.token, payload: { public: false } });
    await expect(204, 'DELETE', `/api/v1/users/me/watchlist/${m2}`, { token: friend!.token });
    await expect(204, 'DELETE', `/api/v1/diary/${entry.id}`, { token: friend!.token });
    assert.deepEqual(await types(), ['review:o', 'review:f']);
    await expect(204, 'DELETE', `/api/v1/reviews/${r.id}`, { token: friend!.token });
    assert.deepEqual(await types(), ['review:o']);
    await expect(200, 'PATCH', `/api/v1/lists/${list.id}`, { token: friend!.token, payload: { public: true } });
    assert.deepEqual(await types(), ['review:o', 'list:f']);
    await expect(204, 'DELETE', `/api/v1/users/me/following/${friend!.id}`, { token: me!.token });
    assert.deepEqual(await types(), ['review:o']);
    await expect(204, 'DELETE', '/api/v1/users/me', { token: other!.token, payload: { password: PASSWORD } });
    assert.deepEqual(await types(), []);
    const left = await ctx.db.selectFrom('activities').select('id').where('user_id', '=', other!.id).execute();
    assert.deepEqual(left, []);
  });

  it('fills a new follower’s feed with what the followed member did before', async () => {
    const [me, old] = await manyMembers(ctx, 'latecomer', 2);
    for (let i = 0; i < 3; i++) await review(old!, await newMovie());
    await expect(204, 'PUT', `/api/v1/users/me/following/${old!.id}`, { token: me!.token });
    assert.deepEqual((await feed(me!)).activities.map((a) => a.type), ['review', 'review', 'review']);
  });
});

describe('writes at the same moment', () => {
  const feedOf = async (who: Member) => (await callAs(ctx.app, 'GET', '/api/v1/users/me/feed?limit=100', { token: who.token })).json<{ type: string; user: { id: number } }[]>();

  /** Runs `during` while a transaction that put a film on `who`'s watchlist (and its activity) is still open, then commits it. */
  async function whileWatchlisting(who: Member, during: () => Promise<unknown>): Promise<unknown> {
    let result: Promise<unknown> | undefined;
    const movie = await newMovie();
    await ctx.db.transaction().execute(async (trx) => {
      await addToWatchlist(trx, who.id, movie);
      result = during();
      // Long enough for the other request to reach the database and, unless it waits, finish.
      await sleep(300);
    });
    return result;
  }

  it('an unfollow while the followed member’s activity is being written still takes it out of the feed', async () => {
    const [me, them] = await manyMembers(ctx, 'racer', 2);
    await expect(204, 'PUT', `/api/v1/users/me/following/${them!.id}`, { token: me!.token });
    const unfollowed = (await whileWatchlisting(them!, () => call('DELETE', `/api/v1/users/me/following/${them!.id}`, { token: me!.token }))) as { statusCode: number };
    assert.equal(unfollowed.statusCode, 204);
    assert.deepEqual(await feedOf(me!), []);
  });

  it('a follow while the followed member’s activity is being written still brings it into the feed', async () => {
    const [me, them] = await manyMembers(ctx, 'latefollow', 2);
    const followed = (await whileWatchlisting(them!, () => call('PUT', `/api/v1/users/me/following/${them!.id}`, { token: me!.token }))) as { statusCode: number };
    assert.equal(followed.statusCode, 204);
    assert.deepEqual((await feedOf(me!)).map((a) => a.type), ['watchlist']);
  });

  it('members who like, comment on and follow each other can all delete their accounts at once', async () => {
    const members = await manyMembers(ctx, 'leaver', 16);
    const reviews = new Map<number, number[]>();
    for (const m of members) {
      const mine = [];
      for (let k = 0; k < 2; k++) mine.push((await review(m, await newMovie())).id);
      reviews.set(m.id, mine);
    }
    // Each likes and comments on the others' reviews in a different order, and follows them.
    for (const [i, m] of members.entries()) {
      const others = members.filter((o) => o !== m);
      const order = i % 2 ? others : [...others].reverse();
      for (const o of order.slice(0, 6)) {
        for (const id of reviews.get(o.id)!) await expect(204, 'PUT', `/api/v1/reviews/${id}/like`, { token: m.token });
        await expect(201, 'POST', `/api/v1/reviews/${reviews.get(o.id)![0]!}/comments`, { token: m.token, payload: { text: 'Bye' } });
        await expect(204, 'PUT', `/api/v1/users/me/following/${o.id}`, { token: m.token });
      }
    }
    const gone = await Promise.all(members.map((m) => call('DELETE', '/api/v1/users/me', { token: m.token, payload: { password: PASSWORD } })));
    assert.deepEqual(gone.map((r) => r.statusCode), members.map(() => 204), gone.map((r) => r.body).join(' '));
    assert.deepEqual(await dbProblemsOf(ctx), []);
  });

  it('a movie deleted while one of its lists is being rearranged waits its turn', async () => {
    const [owner] = await manyMembers(ctx, 'arranger', 1);
    const doomed = await newMovie();
    const list = (await expect(201, 'POST', '/api/v1/lists', { token: owner!.token, payload: { title: 'Shifting' } })).json<{ id: number }>();
    for (const m of [await newMovie(), doomed, await newMovie()]) await expect(200, 'PUT', `/api/v1/lists/${list.id}/items/${m}`, { token: owner!.token, payload: {} });
    let deleted: Promise<{ statusCode: number }> | undefined;
    // As a list write does (lists/data.ts): the list's row first, then its items' keys.
    await ctx.db.transaction().execute(async (trx) => {
      await trx.selectFrom('lists').select('id').where('id', '=', list.id).$if(ctx.config.database.kind === 'postgres', (qb) => qb.forNoKeyUpdate()).execute();
      deleted = call('DELETE', `/api/v1/movies/${doomed}`, { token: admin });
      await sleep(300);
      await trx.updateTable('list_items').set({ sort_key: 1 }).where('list_id', '=', list.id).execute();
    });
    assert.equal((await deleted!).statusCode, 204);
    assert.equal((await expect(200, 'GET', `/api/v1/lists/${list.id}`)).json<{ item_count: number }>().item_count, 2);
  });
});
