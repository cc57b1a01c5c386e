import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import sharp from 'sharp';
import { DEMO_TRAILER } from '../src/cli/seed.js';
import { appOnCliData, assertOneLine, cleanUp, runCli, tempDir } from './support/cli.js';
import { bearer, dbProblemsOf } from './support/app.js';

// Rendering and storing 24 posters (eight copies each) takes a few seconds.
const SEED_TIMEOUT_MS = 60_000;

interface Movie {
  id: number;
  title: string;
  year: number | null;
  average_score: number | null;
  review_count: number;
  rating_count: number;
  rating_histogram: number[];
  poster_url: string | null;
  trailer_url: string | null;
}

interface Review {
  user_id: number;
  username: string;
  review: string;
  score: number;
  rating: number;
  movie: { id: number; title: string };
}

/** Every file under `dir`, relative to it, sorted; none when it does not exist. */
function filesUnder(dir: string): string[] {
  const walk = (sub: string): string[] => {
    let entries;
    try {
      entries = readdirSync(path.join(dir, sub), { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return entries.flatMap((e) => (e.isDirectory() ? walk(path.join(sub, e.name)) : [path.join(sub, e.name)]));
  };
  return walk('').sort();
}

async function allMovies(app: FastifyInstance): Promise<{ movies: Movie[]; total: number }> {
  const res = await app.inject({ method: 'GET', url: '/api/v1/movies?limit=100' });
  assert.equal(res.statusCode, 200, res.body);
  return { movies: res.json<Movie[]>(), total: Number(res.headers['x-total-count']) };
}

async function accessToken(app: FastifyInstance, username: string, password: string): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/auth',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ username, password }).toString(),
  });
  assert.equal(res.statusCode, 200, `${username}: ${res.body}`);
  return res.json<{ access_token: string }>().access_token;
}

describe('butaca seed --demo', () => {
  after(cleanUp);

  it('without --demo is a usage error; --help lists it', async () => {
    const dir = tempDir();
    const res = await runCli(['seed'], { DATA_DIR: dir });
    assert.equal(res.code, 1);
    assert.match(assertOneLine(res.stderr), /usage: butaca seed --demo/);
    assert.deepEqual(readdirSync(dir), [], 'a usage error touched DATA_DIR');
    const help = await runCli(['seed', '--help'], { DATA_DIR: dir });
    assert.equal(help.code, 0);
    assert.match(help.stdout, /seed --demo/);
  });

  describe('after the README’s own `user create` step (a database with users, no movies)', () => {
    it('refuses without --force, saying what to do; loads beside them with --force; refuses a demo login that is taken', async () => {
      const dir = tempDir();
      const made = await runCli(['user', 'create', 'ana', '--admin'], { DATA_DIR: dir }, 'una-clave-de-ana\n');
      assert.equal(made.code, 0, made.stderr);
      const refused = await runCli(['seed', '--demo'], { DATA_DIR: dir }, '', SEED_TIMEOUT_MS);
      assert.equal(refused.code, 1);
      assert.match(assertOneLine(refused.stderr), /already has 1 user \(and no movies\); add --force .* or point DATA_DIR \(or DATABASE_URL\) at a new database/);

      const forced = await runCli(['seed', '--demo', '--force'], { DATA_DIR: dir }, '', SEED_TIMEOUT_MS);
      assert.equal(forced.code, 0, forced.stderr);
      assert.match(forced.stdout, /24 movies, 24 posters, 4 trailers, 6 users/);
      const probe = await appOnCliData(dir);
      try {
        const users = await probe.db.selectFrom('users').select(['username', 'role']).orderBy('id').execute();
        assert.deepEqual(users.slice(0, 2), [
          { username: 'ana', role: 'admin' },
          { username: 'admin', role: 'admin' },
        ]);
        assert.equal(users.length, 7);
        assert.equal((await allMovies(probe.app)).total, 24);
      } finally {
        await probe.close();
      }
      // Movies now: refused even with --force, and the advice is another database.
      const again = await runCli(['seed', '--demo', '--force'], { DATA_DIR: dir }, '', SEED_TIMEOUT_MS);
      assert.equal(again.code, 1);
      assert.match(assertOneLine(again.stderr), /already has 24 movies .*point DATA_DIR/);

      // A user named like a demo login (ignoring case) is not taken over.
      const other = tempDir();
      assert.equal((await runCli(['user', 'create', 'Admin'], { DATA_DIR: other }, 'una-clave-de-otro\n')).code, 0);
      const taken = await runCli(['seed', '--demo', '--force'], { DATA_DIR: other }, '', SEED_TIMEOUT_MS);
      assert.equal(taken.code, 1);
      assert.match(assertOneLine(taken.stderr), /"Admin" already exists/);
    });
  });

  describe('on a fresh DATA_DIR', () => {
    const dir = tempDir();
    const mediaRoot = path.join(dir, 'media');
    let ctx: Awaited<ReturnType<typeof appOnCliData>>;
    let movies: Movie[];

    it('a failure mid-way says so, loads nothing and leaves no media files', async () => {
      // A plain file where movie 5's directory must go: movies 1–4 get their posters (and movie
      // 1 its trailer) first, then storing movie 5's poster fails.
      mkdirSync(path.join(mediaRoot, 'movies'), { recursive: true });
      writeFileSync(path.join(mediaRoot, 'movies', '5'), 'in the way');
      const res = await runCli(['seed', '--demo'], { DATA_DIR: dir }, '', SEED_TIMEOUT_MS);
      assert.equal(res.code, 1, res.stdout);
      assert.match(assertOneLine(res.stderr), /seed failed and nothing was loaded/);
      assert.doesNotMatch(res.stdout, /Loaded/);

      const probe = await appOnCliData(dir);
      try {
        for (const table of ['users', 'movies', 'reviews', 'media'] as const) {
          const rows = await probe.db.selectFrom(table).selectAll().execute();
          assert.equal(rows.length, 0, `${table} has rows after a failed seed`);
        }
      } finally {
        await probe.close();
      }
      assert.deepEqual(filesUnder(mediaRoot), [path.join('movies', '5')], 'media files left behind');
    });

    it('once the cause is gone, loads 24 movies, users and reviews and prints the demo logins', async () => {
      rmSync(path.join(mediaRoot, 'movies', '5'));
      const res = await runCli(['seed', '--demo'], { DATA_DIR: dir }, '', SEED_TIMEOUT_MS);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stderr, '');
      assert.match(res.stdout, /24 movies, 24 posters, 4 trailers, 6 users, \d+ reviews\n\s+\d+ ratings, \d+ diary entries, \d+ watchlist entries, 4 avatars\n\s+\d+ follows, \d+ likes, \d+ comments, 4 lists/);
      assert.match(res.stdout, /demo credentials/);
      assert.match(res.stdout, /admin\s+admin-password/);
      assert.match(res.stdout, /demo\s+demo-password/);
      // `npm start` alone would serve ./data: the hint keeps the DATA_DIR it was given.
      assert.match(res.stdout.trimEnd().split('\n').at(-1)!, new RegExp(`^Start the server with: DATA_DIR=${dir} npm start`));

      ctx = await appOnCliData(dir);
      const list = await allMovies(ctx.app);
      movies = list.movies;
      assert.equal(list.total, 24);
      assert.equal(movies.length, 24);
      assert.equal(new Set(movies.map((m) => m.title.toLowerCase())).size, 24, 'duplicate titles');
      for (const movie of movies) assert.ok(movie.year !== null && movie.year >= 1878 && movie.year <= 2100, movie.title);
    });

    after(async () => {
      await ctx?.close();
    });

    it('gives every movie a poster: a 600×900 JPEG, with copies at ?w=160, 320 and 640', async () => {
      for (const movie of movies) {
        const url = movie.poster_url;
        assert.ok(url, `${movie.title} has no poster`);
        const full = await ctx.app.inject({ method: 'GET', url });
        assert.equal(full.statusCode, 200, full.body);
        assert.equal(full.headers['content-type'], 'image/jpeg');
        const meta = await sharp(full.rawPayload).metadata();
        assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 600, 900], movie.title);
        for (const w of [160, 320, 640]) {
          const res: LightMyRequestResponse = await ctx.app.inject({ method: 'GET', url: `${url}&w=${w}` });
          assert.equal(res.statusCode, 200);
          assert.equal(res.headers['content-type'], 'image/jpeg');
          const resized = await sharp(res.rawPayload).metadata();
          // 640 is wider than the original, which is never enlarged.
          assert.equal(resized.width, Math.min(w, 600), `${movie.title} at w=${w}`);
          assert.equal(resized.format, 'jpeg');
        }
      }
    });

    it('gives a few movies the sample trailer, served as video/mp4 with Range', async () => {
      const sample = readFileSync(DEMO_TRAILER);
      const withTrailer = movies.filter((m) => m.trailer_url !== null);
      assert.ok(withTrailer.length >= 3 && withTrailer.length <= 4, `${withTrailer.length} trailers`);
      for (const movie of withTrailer) {
        const head = await ctx.app.inject({ method: 'HEAD', url: movie.trailer_url! });
        assert.equal(head.statusCode, 200);
        assert.equal(head.headers['content-type'], 'video/mp4');
        assert.equal(Number(head.headers['content-length']), sample.length);
        assert.equal(head.headers['accept-ranges'], 'bytes');

        const part = await ctx.app.inject({ method: 'GET', url: movie.trailer_url!, headers: { range: 'bytes=1000-1999' } });
        assert.equal(part.statusCode, 206);
        assert.equal(part.headers['content-type'], 'video/mp4');
        assert.equal(part.headers['content-range'], `bytes 1000-1999/${sample.length}`);
        assert.ok(part.rawPayload.equals(sample.subarray(1000, 2000)), `${movie.title}: wrong bytes`);
      }
    });

    it('writes varied ratings in half stars, some with a review (no two alike), and every movie’s aggregates equal a recount', async () => {
      let total = 0;
      const halves = new Set<number>();
      const texts: string[] = [];
      let ratingsOnly = 0;
      for (const movie of movies) {
        const res = await ctx.app.inject({ method: 'GET', url: `/api/v1/reviews?movie_id=${movie.id}&limit=100` });
        assert.equal(res.statusCode, 200);
        const reviews = res.json<Review[]>();
        assert.equal(Number(res.headers['x-total-count']), reviews.length);
        assert.ok(reviews.length >= 2, `${movie.title} has ${reviews.length} reviews`);
        assert.equal(movie.review_count, reviews.length, movie.title);
        assert.ok(movie.rating_count >= reviews.length, movie.title);
        ratingsOnly += movie.rating_count - reviews.length;
        movie.rating_histogram.forEach((n, i) => n > 0 && halves.add(i + 1));
        assert.equal(movie.rating_histogram.reduce((a, b) => a + b, 0), movie.rating_count, movie.title);
        assert.equal(new Set(reviews.map((r) => r.user_id)).size, reviews.length, 'a user reviewed a movie twice');
        for (const r of reviews) {
          assert.equal(r.movie.id, movie.id);
          assert.equal(r.score, Math.ceil(r.rating), `score follows rating ${r.rating}`);
          texts.push(r.review);
        }
        total += reviews.length;
      }
      assert.ok(total >= 48, `only ${total} reviews`);
      assert.ok(ratingsOnly >= 10, `only ${ratingsOnly} ratings without a review`);
      assert.ok([...halves].some((h) => h % 2 === 1), 'no half-star rating');
      assert.ok(halves.size >= 6, `ratings are not varied: ${[...halves].join(',')}`);
      assert.equal(new Set(texts).size, texts.length, 'two reviews say the same thing');
      assert.ok(texts.some((t) => /\b(una|muy|la|me)\b/i.test(t)), 'no review in Spanish');
      assert.ok(texts.some((t) => /\b(the|it|and)\b/i.test(t)), 'no review in English');
      assert.deepEqual(await dbProblemsOf(ctx), []);
    });

    it('gives the members profiles, avatars, diaries over the past year and watchlists', async () => {
      const yearAgo = new Date(Date.now() - 366 * 86_400_000).toISOString().slice(0, 10);
      const today = new Date().toISOString().slice(0, 10);
      let avatars = 0;
      const months = new Set<string>();
      for (const name of ['demo', 'lucia', 'marcos', 'sofia', 'kenji']) {
        const user = (await ctx.app.inject({ method: 'GET', url: `/api/v1/profiles/${name}` })).json<{ id: number; display_name: string | null; bio: string | null; avatar_url: string | null; diary_count: number }>();
        assert.ok(user.display_name && user.bio, `${name} has no profile`);
        if (user.avatar_url) {
          avatars += 1;
          const img = await ctx.app.inject({ method: 'GET', url: `${user.avatar_url}&w=64` });
          assert.equal(img.statusCode, 200);
        }
        assert.ok(user.diary_count >= 5, `${name} logged ${user.diary_count}`);
        const diary = (await ctx.app.inject({ method: 'GET', url: `/api/v1/users/${user.id}/diary?limit=100` })).json<{ watched_on: string; rating: number | null }[]>();
        for (const e of diary) {
          assert.ok(e.watched_on >= yearAgo && e.watched_on <= today, e.watched_on);
          months.add(e.watched_on.slice(0, 7));
        }
        const watchlist = (await ctx.app.inject({ method: 'GET', url: `/api/v1/users/${user.id}/watchlist` })).json<unknown[]>();
        assert.ok(watchlist.length >= 2, `${name}'s watchlist has ${watchlist.length}`);
      }
      assert.equal(avatars, 4);
      assert.ok(months.size >= 8, `diaries cover only ${months.size} months`);
      const reviews = (await ctx.app.inject({ method: 'GET', url: '/api/v1/reviews?limit=100' })).json<{ created_at: string }[]>();
      const days = new Set(reviews.map((r) => r.created_at.slice(0, 10)));
      assert.ok(days.size >= 30, `reviews written on only ${days.size} days`);
      assert.ok(reviews.every((r) => r.created_at.slice(0, 10) >= yearAgo));
    });

    it('makes a community: follows, likes, comments, lists (one private), and a feed in the order things were done', async () => {
      const demo = await accessToken(ctx.app, 'demo', 'demo-password');
      const me = (await ctx.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(demo) })).json<{ id: number; follower_count: number; following_count: number }>();
      assert.ok(me.following_count >= 2 && me.follower_count >= 2, JSON.stringify(me));
      const reviews = (await ctx.app.inject({ method: 'GET', url: '/api/v1/reviews?sort=likes&limit=100' })).json<{ id: number; like_count: number; comment_count: number }[]>();
      assert.ok(reviews[0]!.like_count >= 2, 'no review is liked');
      const commented = (await ctx.app.inject({ method: 'GET', url: '/api/v1/reviews?limit=100' })).json<{ id: number; comment_count: number }[]>().filter((r) => r.comment_count > 0);
      assert.ok(commented.length >= 5, `only ${commented.length} reviews have comments`);
      const lists = (await ctx.app.inject({ method: 'GET', url: `/api/v1/users/${me.id}/lists`, headers: bearer(demo) })).json<{ id: number; public: boolean; item_count: number }[]>();
      assert.deepEqual(lists.map((l) => l.public).sort(), [false, true]);
      assert.ok(lists.every((l) => l.item_count > 0));
      const seen = (await ctx.app.inject({ method: 'GET', url: `/api/v1/users/${me.id}/lists` })).json<unknown[]>();
      assert.equal(seen.length, 1, 'the private list is shown to others');
      const feed = await ctx.app.inject({ method: 'GET', url: '/api/v1/users/me/feed?limit=50', headers: bearer(demo) });
      const activities = feed.json<{ type: string; created_at: string; user: { id: number } }[]>();
      assert.equal(activities.length, 50);
      assert.match(String(feed.headers.link), /rel="next"/);
      assert.deepEqual(new Set(activities.map((a) => a.type)).size >= 3, true, JSON.stringify([...new Set(activities.map((a) => a.type))]));
      const dates = activities.map((a) => a.created_at);
      assert.deepEqual(dates, [...dates].sort().reverse(), 'the feed is not newest first by date');
      assert.ok(activities.every((a) => a.user.id !== me.id));
      assert.deepEqual(await dbProblemsOf(ctx), []);
    });

    it('lets the demo users log in: demo is a reviewer, admin may edit the catalogue', async () => {
      const demo = await accessToken(ctx.app, 'demo', 'demo-password');
      const me = await ctx.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(demo) });
      assert.equal(me.json<{ role: string }>().role, 'user');
      const own = await ctx.app.inject({ method: 'GET', url: '/api/v1/users/reviews?limit=100', headers: bearer(demo) });
      const count = own.json<Review[]>().length;
      // Some movies are left for the person trying the demo to review.
      assert.ok(count > 0 && count < 24, `demo has ${count} reviews`);

      const admin = await accessToken(ctx.app, 'admin', 'admin-password');
      const patch = await ctx.app.inject({ method: 'PATCH', url: `/api/v1/movies/${movies[0]!.id}`, headers: bearer(admin), payload: { synopsis: movies[0]!.title } });
      assert.equal(patch.statusCode, 200, patch.body);
      const refused = await ctx.app.inject({ method: 'PATCH', url: `/api/v1/movies/${movies[0]!.id}`, headers: bearer(demo), payload: { synopsis: null } });
      assert.equal(refused.statusCode, 403);
    });

    it('says how to start the server on the DATA_DIR it loaded', async () => {
      // The run above was given DATA_DIR: `npm start` alone would serve ./data instead.
      const res = await runCli(['seed', '--demo'], { DATA_DIR: dir }, '', SEED_TIMEOUT_MS);
      assert.equal(res.code, 1); // already loaded: only the refusal's advice is checked here
      assert.match(assertOneLine(res.stderr), /DATA_DIR=\.\/demo-data npx butaca seed --demo/);
    });

    it('a second run exits 1 with one line and changes nothing', async () => {
      const before = { movies: (await allMovies(ctx.app)).movies, files: filesUnder(mediaRoot) };
      const reviewsBefore = await ctx.db.selectFrom('reviews').selectAll().execute();
      const res = await runCli(['seed', '--demo'], { DATA_DIR: dir }, '', SEED_TIMEOUT_MS);
      assert.equal(res.code, 1);
      assert.match(assertOneLine(res.stderr), /already has 24 movies and 6 users/);
      assert.equal(res.stdout, '');
      assert.deepEqual((await allMovies(ctx.app)).movies, before.movies);
      assert.deepEqual(filesUnder(mediaRoot), before.files);
      assert.deepEqual(await ctx.db.selectFrom('reviews').selectAll().execute(), reviewsBefore);
    });
  });
});
