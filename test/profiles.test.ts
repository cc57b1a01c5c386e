import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import sharp from 'sharp';
import {
  type CallOptions,
  type Member,
  type Method,
  type TestContext,
  adminToken,
  assertInvalid,
  bearer,
  callAs,
  createMovie,
  manyMembers,
  mediaFixture,
  multipartBody,
  startApp,
  storedKeys,
  unfinishedWrites,
} from './support/app.js';
import { USER_KEYS } from './support/fields.js';

/*
 * community.md, Profiles and avatars: display name, bio, the counts, and avatars stored as square
 * crops on the file store (npm run test:sqlite, test:pg) and on S3 (npm run test:s3 runs this file
 * against an S3 server).
 */

interface User {
  id: number;
  username: string;
  display_name: string | null;
  bio: string | null;
  avatar_url: string | null;
  review_count: number;
  rating_count: number;
  diary_count: number;
}

const IMMUTABLE = 'public, max-age=31536000, immutable';

let ctx: TestContext;
let admin: string;
let people: Member[];

const call = (method: Method, url: string, opts: CallOptions = {}) => callAs(ctx.app, method, url, opts);
const me = async (who: Member): Promise<User> => (await call('GET', '/api/v1/users/me', { token: who.token })).json();

/** An upload of `bytes` as the raw body (or multipart) to the caller's avatar. */
function putAvatar(who: Member, bytes: Buffer, as: 'raw' | 'multipart' = 'raw') {
  if (as === 'multipart') {
    const { payload, contentType } = multipartBody([{ name: 'file', filename: 'me.png', contentType: 'image/png', data: bytes }]);
    return ctx.app.inject({ method: 'PUT', url: '/api/v1/users/me/avatar', headers: { ...bearer(who.token), 'content-type': contentType }, payload });
  }
  return ctx.app.inject({ method: 'PUT', url: '/api/v1/users/me/avatar', headers: { ...bearer(who.token), 'content-type': 'application/octet-stream' }, payload: bytes });
}

/** A wide photo that carries EXIF and a GPS position, as a phone's would. */
async function phonePhoto(): Promise<Buffer> {
  return sharp({ create: { width: 640, height: 360, channels: 3, background: { r: 200, g: 30, b: 60 } } })
    .jpeg()
    .withExif({ IFD0: { Copyright: 'Secret Owner', Artist: 'Secret Owner' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '40/1 25/1 0/1' } })
    .toBuffer();
}

before(async () => {
  ctx = await startApp();
  admin = await adminToken(ctx);
  people = await manyMembers(ctx, 'profiled', 8);
});
after(async () => ctx.close());

describe('profile', () => {
  it('starts empty; PATCH sets, trims and clears display_name and bio (only those sent)', async () => {
    const who = people[0]!;
    const fresh = await me(who);
    assert.deepEqual(Object.keys(fresh).sort(), USER_KEYS);
    assert.deepEqual([fresh.display_name, fresh.bio, fresh.avatar_url, fresh.review_count, fresh.rating_count, fresh.diary_count], [null, null, null, 0, 0, 0]);
    const set = await call('PATCH', '/api/v1/users/me', { token: who.token, payload: { display_name: '  Agnès V.  ', bio: 'Cine de autor.\nMadrid.' } });
    assert.equal(set.statusCode, 200, set.body);
    assert.deepEqual([set.json<User>().display_name, set.json<User>().bio], ['Agnès V.', 'Cine de autor.\nMadrid.']);
    const bioOnly = await call('PATCH', '/api/v1/users/me', { token: who.token, payload: { bio: '   ' } });
    assert.deepEqual([bioOnly.json<User>().display_name, bioOnly.json<User>().bio], ['Agnès V.', null]);
    const cleared = await call('PATCH', '/api/v1/users/me', { token: who.token, payload: { display_name: null } });
    assert.equal(cleared.json<User>().display_name, null);
    assert.equal((await call('PATCH', '/api/v1/users/me', { payload: { bio: 'x' } })).statusCode, 401);
  });

  it('refuses a display name over 100 characters and a bio over 2000, each at its field, and keeps nothing', async () => {
    const who = people[1]!;
    const res = await call('PATCH', '/api/v1/users/me', { token: who.token, payload: { display_name: 'n'.repeat(101), bio: 'b'.repeat(2001) } });
    assertInvalid(res, [['body', 'display_name'], ['body', 'bio']]);
    const half = await call('PATCH', '/api/v1/users/me', { token: who.token, payload: { display_name: 'Fine', bio: 'b'.repeat(2001) } });
    assertInvalid(half, [['body', 'bio']]);
    assert.equal((await me(who)).display_name, null);
    const edge = await call('PATCH', '/api/v1/users/me', { token: who.token, payload: { display_name: 'ñ'.repeat(100), bio: 'b'.repeat(2000) } });
    assert.equal(edge.statusCode, 200, edge.body);
    assertInvalid(await call('PATCH', '/api/v1/users/me', { token: who.token, payload: { display_name: 'a\u0000b' } }), [['body', 'display_name']]);
  });

  it('is public by username (any case) and by id, with exact counts; unknown is 404', async () => {
    const who = people[2]!;
    const movies = [(await createMovie(ctx.app, admin, { title: 'Profiled A', year: 2001 })).id, (await createMovie(ctx.app, admin, { title: 'Profiled B', year: 2002 })).id];
    await call('POST', '/api/v1/reviews', { token: who.token, payload: { movie_id: movies[0], review: 'Words', rating: 4 } });
    await call('PUT', `/api/v1/movies/${movies[1]}/rating`, { token: who.token, payload: { rating: 2.5 } });
    for (const watched_on of ['2024-01-01', '2024-02-01', '2024-03-01']) await call('POST', '/api/v1/diary', { token: who.token, payload: { movie_id: movies[1], watched_on } });
    const byName = await call('GET', `/api/v1/profiles/${who.username.toUpperCase()}`);
    assert.equal(byName.statusCode, 200, byName.body);
    const profile = byName.json<User>();
    assert.deepEqual([profile.id, profile.review_count, profile.rating_count, profile.diary_count], [who.id, 1, 2, 3]);
    assert.deepEqual((await call('GET', `/api/v1/users/${who.id}`)).json(), profile);
    const none = await call('GET', '/api/v1/profiles/nobody-here');
    assert.equal(none.statusCode, 404);
    assert.equal(none.json<{ code: string }>().code, 'user_not_found');
  });
});

describe('avatars', () => {
  it('stores a JPEG as square crops at 64, 128 and 256 without its metadata, under a versioned immutable URL', async () => {
    const who = people[3]!;
    const res = await putAvatar(who, await phonePhoto());
    assert.equal(res.statusCode, 201, res.body);
    const url = (await me(who)).avatar_url;
    assert.ok(url && /^\/api\/v1\/users\/\d+\/avatar\?v=[\w-]+$/.test(url), String(url));
    assert.equal(res.headers.location, url);
    for (const w of [64, 128, 256]) {
      for (const accept of ['image/jpeg', 'image/webp,*/*']) {
        const img: LightMyRequestResponse = await ctx.app.inject({ method: 'GET', url: `${url}&w=${w}`, headers: { accept } });
        assert.equal(img.statusCode, 200, img.body);
        assert.equal(img.headers['cache-control'], IMMUTABLE);
        assert.equal(img.headers.vary, 'Accept');
        const meta = await sharp(img.rawPayload).metadata();
        assert.equal(meta.format, accept === 'image/jpeg' ? 'jpeg' : 'webp');
        assert.deepEqual([meta.width, meta.height], [w, w]);
        assert.equal(meta.exif, undefined, 'EXIF (and its GPS position) is stripped');
        assert.ok(!img.rawPayload.includes('Secret Owner'));
      }
    }
    // Without w: 256. Without v: the same bytes, revalidated each time; an ETag answers 304.
    const plain = await ctx.app.inject({ method: 'GET', url: `/api/v1/users/${who.id}/avatar`, headers: { accept: 'image/jpeg' } });
    assert.equal(plain.headers['cache-control'], 'no-cache');
    assert.deepEqual(await sharp(plain.rawPayload).metadata().then((m) => [m.width, m.height]), [256, 256]);
    const again = await ctx.app.inject({ method: 'GET', url: `/api/v1/users/${who.id}/avatar`, headers: { accept: 'image/jpeg', 'if-none-match': String(plain.headers.etag) } });
    assert.equal(again.statusCode, 304);
  });

  it('refuses widths other than 64, 128 and 256 (422 at query.w); unknown member 404 user_not_found, none yet 404 avatar_not_found', async () => {
    const who = people[4]!;
    for (const w of ['100', '0', '512', 'big']) {
      const res = await call('GET', `/api/v1/users/${who.id}/avatar?w=${w}`);
      assertInvalid(res, [['query', 'w']]);
    }
    assert.equal((await call('GET', `/api/v1/users/${who.id}/avatar`)).json<{ code: string }>().code, 'avatar_not_found');
    assert.equal((await call('GET', '/api/v1/users/999999/avatar')).json<{ code: string }>().code, 'user_not_found');
  });

  it('replaces with PNG or WebP (multipart or raw): 200, a new version, the old files gone', async () => {
    const who = people[5]!;
    assert.equal((await putAvatar(who, mediaFixture('poster.jpg'))).statusCode, 201);
    const first = (await me(who)).avatar_url!;
    const firstKeys = await storedKeys(ctx, `users/${who.id}/`);
    assert.ok(firstKeys.length > 0);
    const png = await putAvatar(who, mediaFixture('poster.png'), 'multipart');
    assert.equal(png.statusCode, 200, png.body);
    const second = (await me(who)).avatar_url!;
    assert.notEqual(second, first);
    const webp = await putAvatar(who, mediaFixture('poster.webp'));
    assert.equal(webp.statusCode, 200, webp.body);
    const third = (await me(who)).avatar_url!;
    const keys = await storedKeys(ctx, `users/${who.id}/`);
    assert.ok(keys.every((k) => !firstKeys.includes(k)), 'the first avatar’s files are removed');
    // The old URL is no longer immutable: a cache revalidates it and gets today's avatar.
    assert.equal((await call('GET', `${first}&w=64`)).headers['cache-control'], 'no-cache');
    assert.equal((await call('GET', `${third}&w=64`)).headers['cache-control'], IMMUTABLE);
  });

  it('a failed upload (not an image by its bytes, over 5 MiB, anonymous) leaves the old avatar as it was', async () => {
    const who = people[6]!;
    assert.equal((await putAvatar(who, mediaFixture('poster.jpg'))).statusCode, 201);
    const before = (await me(who)).avatar_url;
    const keys = await storedKeys(ctx, `users/${who.id}/`);
    const notImage = await putAvatar(who, mediaFixture('not-an-image.jpg'));
    assert.equal(notImage.statusCode, 415, notImage.body);
    assert.equal(typeof notImage.json<{ detail: unknown }>().detail, 'string');
    const video = await putAvatar(who, mediaFixture('trailer.mp4'));
    assert.equal(video.statusCode, 415, video.body);
    // 5 MiB and one byte, a JPEG's first bytes then noise: refused by size, whatever it is.
    const big = Buffer.concat([mediaFixture('poster.jpg').subarray(0, 64), Buffer.alloc(5 * 1024 * 1024 + 1 - 64, 7)]);
    const tooBig = await putAvatar(who, big);
    assert.equal(tooBig.statusCode, 413, tooBig.body);
    const anonymous = await ctx.app.inject({ method: 'PUT', url: '/api/v1/users/me/avatar', headers: { 'content-type': 'image/jpeg' }, payload: mediaFixture('poster.jpg') });
    assert.equal(anonymous.statusCode, 401);
    assert.equal((await me(who)).avatar_url, before);
    assert.deepEqual(await storedKeys(ctx, `users/${who.id}/`), keys);
    assert.equal((await call('GET', `${before}&w=128`)).statusCode, 200);
    assert.deepEqual(unfinishedWrites(ctx), []);
  });

  it('DELETE removes it (204) and its files; again 404', async () => {
    const who = people[7]!;
    assert.equal((await putAvatar(who, mediaFixture('poster.png'))).statusCode, 201);
    assert.ok((await storedKeys(ctx, `users/${who.id}/`)).length > 0);
    assert.equal((await call('DELETE', '/api/v1/users/me/avatar', { token: who.token })).statusCode, 204);
    assert.equal((await me(who)).avatar_url, null);
    assert.deepEqual(await storedKeys(ctx, `users/${who.id}/`), []);
    assert.equal((await call('GET', `/api/v1/users/${who.id}/avatar`)).json<{ code: string }>().code, 'avatar_not_found');
    assert.equal((await call('DELETE', '/api/v1/users/me/avatar', { token: who.token })).statusCode, 404);
  });

  it('an account’s deletion removes its avatar files', async () => {
    const [leaver] = await manyMembers(ctx, 'avatarleaver', 1);
    assert.equal((await putAvatar(leaver!, mediaFixture('poster.jpg'))).statusCode, 201);
    const gone = await call('DELETE', '/api/v1/users/me', { token: leaver!.token, payload: { password: 'correct-horse-battery' } });
    assert.equal(gone.statusCode, 204, gone.body);
    assert.deepEqual(await storedKeys(ctx, `users/${leaver!.id}/`), []);
  });
});
