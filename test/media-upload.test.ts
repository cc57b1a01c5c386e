import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import sharp from 'sharp';
import { Readable } from 'node:stream';
import { ORPHAN_GRACE_MS, sweepOrphans } from '../src/modules/media/index.js';
import {
  type MediaKindName,
  type TestContext,
  type WireRequest,
  type WireResponse,
  adminToken,
  assertInvalid,
  bearer,
  createMovie,
  filesUnder,
  listenOnLoopback,
  mediaFixture,
  multipartBody,
  startApp,
  storedKeys,
  unfinishedWrites,
  uploadMedia,
  userToken,
  waitUntil,
  wireFetch,
  wireRequest,
} from './support/app.js';
import { testMediaStoreKind } from './support/s3.js';

// ---------------------------------------------------------------------------------------------
// Helpers local to this file

const POSTER_JPG = mediaFixture('poster.jpg');
const POSTER_PNG = mediaFixture('poster.png');
const POSTER_WEBP = mediaFixture('poster.webp');
const TRAILER_MP4 = mediaFixture('trailer.mp4');
const TRAILER_WEBM = mediaFixture('trailer.webm');
const NOT_AN_IMAGE = mediaFixture('not-an-image.jpg');
const TRUNCATED_MP4 = mediaFixture('truncated.mp4');

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The files every poster is stored as: the full size and three widths, each as JPEG and WebP. */
const POSTER_VARIANTS = ['full.jpg', 'full.webp', 'w160.jpg', 'w160.webp', 'w320.jpg', 'w320.webp', 'w640.jpg', 'w640.webp'];
const VARIANTS: Record<MediaKindName, string[]> = { poster: POSTER_VARIANTS, trailer: ['video'] };

const MEDIA_FIELDS = ['content_type', 'height', 'kind', 'movie_id', 'sha256', 'size', 'updated_at', 'url', 'width'];

interface MediaJson {
  movie_id: number;
  kind: string;
  url: string;
  content_type: string;
  size: number;
  sha256: string;
  width: number | null;
  height: number | null;
  updated_at: string;
}

interface MovieJson {
  id: number;
  poster_url: string | null;
  trailer_url: string | null;
}

/** The file store's directory; only for the checks that are about files on disk. */
function fileStoreRoot(ctx: TestContext): string {
  const config = ctx.config.mediaStore;
  if (config.kind !== 'file') throw new Error('not a file store');
  return config.root;
}
const stagingDir = (ctx: TestContext): string => path.join(ctx.config.dataDir, 'tmp');
const mediaUrl = (movieId: number, kind: MediaKindName): string => `/api/v1/movies/${movieId}/${kind}`;

/** The stored files of one movie, as keys relative to the media root (movies/<id>/<kind>-<hex>/<variant>). */
function storedFiles(ctx: TestContext, movieId: number): Promise<string[]> {
  return storedKeys(ctx, `movies/${movieId}/`);
}

/** Writes a leftover file under the file store's root, two hours old when `old`; returns its path. */
function forgeLeftover(ctx: TestContext, rel: string, old: boolean): string {
  const file = path.join(fileStoreRoot(ctx), ...rel.split('/'));
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, 'leftover');
  const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
  if (old) utimesSync(file, twoHoursAgo, twoHoursAgo);
  return file;
}

/** A successful upload answer: the status, Location and the whole Media JSON, checked against the bytes sent. */
function assertMedia(
  res: LightMyRequestResponse,
  status: 200 | 201,
  expected: { movieId: number; kind: MediaKindName; data: Buffer; contentType: string; width: number | null; height: number | null },
): MediaJson {
  assert.equal(res.statusCode, status, res.body);
  const body = res.json<MediaJson>();
  assert.deepEqual(Object.keys(body).sort(), MEDIA_FIELDS);
  assert.equal(body.movie_id, expected.movieId);
  assert.equal(body.kind, expected.kind);
  assert.match(body.url, new RegExp(`^/api/v1/movies/${expected.movieId}/${expected.kind}\\?v=[0-9a-f]{8,64}$`));
  assert.equal(res.headers.location, body.url);
  assert.equal(body.content_type, expected.contentType);
  assert.equal(body.size, expected.data.length);
  assert.equal(body.sha256, sha256(expected.data));
  assert.equal(body.width, expected.width);
  assert.equal(body.height, expected.height);
  assert.match(body.updated_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
  assert.ok(Math.abs(Date.parse(body.updated_at) - Date.now()) < 60_000, body.updated_at);
  return body;
}

/** Nothing half-written anywhere: the store's unfinished writes and the poster staging directory are empty. */
function assertNoLeftovers(ctx: TestContext): void {
  assert.deepEqual(unfinishedWrites(ctx), [], 'unfinished writes left in the store');
  assert.deepEqual(filesUnder(stagingDir(ctx)), [], 'staged uploads left in DATA_DIR/tmp');
}

/** Every stored file belongs to a media row, and every row has all its files: no orphan, no partial upload. */
async function assertStoreMatchesDb(ctx: TestContext): Promise<void> {
  const rows = await ctx.db.selectFrom('media').select(['key_prefix', 'kind']).execute();
  const expected = rows.flatMap((r) => VARIANTS[r.kind].map((v) => `${r.key_prefix}/${v}`)).sort();
  assert.deepEqual(await storedKeys(ctx, 'movies/'), expected);
  assertNoLeftovers(ctx);
}

async function getMovie(ctx: TestContext, movieId: number): Promise<MovieJson> {
  const res = await ctx.app.inject({ method: 'GET', url: `/api/v1/movies/${movieId}` });
  assert.equal(res.statusCode, 200, res.body);
  return res.json<MovieJson>();
}

/** What GET serves for the poster or trailer right now (bytes and ETag). */
async function served(ctx: TestContext, movieId: number, kind: MediaKindName): Promise<{ body: Buffer; etag: string }> {
  const res = await ctx.app.inject({ method: 'GET', url: mediaUrl(movieId, kind) });
  assert.equal(res.statusCode, 200, res.body);
  return { body: res.rawPayload, etag: String(res.headers.etag) };
}

/**
 * Sends `data` over `req` in pieces of `chunkSize` with a pause after each, stopping as soon as the
 * server has answered; returns the answer and how many bytes had been sent by then.
 */
async function sendUntilAnswered(req: WireRequest, data: Buffer, chunkSize: number, pauseMs = 15): Promise<{ res: WireResponse; sent: number }> {
  let sent = 0;
  while (sent < data.length && !req.answered()) {
    const chunk = data.subarray(sent, sent + chunkSize);
    await req.write(chunk);
    sent += chunk.length;
    await sleep(pauseMs);
  }
  if (!req.answered()) req.end();
  const res = await req.response;
  req.destroy();
  return { res, sent };
}

/** A real poster's bytes, re-encoded at another size, so a replacement has a different version. */
async function otherJpeg(width: number, height: number): Promise<Buffer> {
  return sharp(POSTER_JPG).resize(width, height, { fit: 'fill' }).jpeg().toBuffer();
}

// ---------------------------------------------------------------------------------------------

describe('media uploads: who may upload, and the answers', () => {
  let ctx: TestContext;
  let admin: string;
  let user: string;
  let port: number;

  before(async () => {
    ctx = await startApp();
    admin = await adminToken(ctx);
    user = await userToken(ctx.app, 'media_viewer');
    port = await listenOnLoopback(ctx);
  });
  after(async () => ctx.close());

  it('answers 401 (WWW-Authenticate: Bearer) to anonymous callers and 403 to non-admins, on every write of both kinds', async () => {
    const movie = await createMovie(ctx.app, admin, { title: 'Solo para administradores' });
    for (const kind of ['poster', 'trailer'] as const) {
      const data = kind === 'poster' ? POSTER_JPG : TRAILER_MP4;
      for (const method of ['POST', 'PUT'] as const) {
        const anonymous = await uploadMedia(ctx.app, movie.id, kind, data, { method });
        assert.equal(anonymous.statusCode, 401, `${method} ${kind} anonymous: ${anonymous.body}`);
        assert.equal(anonymous.headers['www-authenticate'], 'Bearer');
        assert.equal(typeof anonymous.json<{ detail: string }>().detail, 'string');
        const nonAdmin = await uploadMedia(ctx.app, movie.id, kind, data, { method, token: user, as: 'multipart' });
        assert.equal(nonAdmin.statusCode, 403, `${method} ${kind} non-admin: ${nonAdmin.body}`);
      }
      const del = await ctx.app.inject({ method: 'DELETE', url: mediaUrl(movie.id, kind) });
      assert.equal(del.statusCode, 401);
      const delUser = await ctx.app.inject({ method: 'DELETE', url: mediaUrl(movie.id, kind), headers: bearer(user) });
      assert.equal(delUser.statusCode, 403);
    }
    assert.deepEqual((await storedFiles(ctx, movie.id)), []);
    const unchanged = await getMovie(ctx, movie.id);
    assert.equal(unchanged.poster_url, null);
    assert.equal(unchanged.trailer_url, null);
  });

  it('answers 401, 403, 404 (unknown movie) and 409 before reading the body: the answer comes while the body is never sent', async () => {
    const movie = await createMovie(ctx.app, admin, { title: 'Respuesta inmediata' });
    assert.equal((await uploadMedia(ctx.app, movie.id, 'poster', POSTER_JPG, { token: admin })).statusCode, 201);
    const cases: { headers: Record<string, string>; url: string; status: number }[] = [
      { headers: {}, url: mediaUrl(movie.id, 'trailer'), status: 401 },
      { headers: bearer(user), url: mediaUrl(movie.id, 'trailer'), status: 403 },
      { headers: bearer(admin), url: mediaUrl(999_999, 'trailer'), status: 404 },
      { headers: bearer(admin), url: mediaUrl(movie.id, 'poster'), status: 409 },
    ];
    for (const { headers, url, status } of cases) {
      // Declares 50 MB and sends none of it: only a server that answers without reading the body replies.
      const req = wireRequest(port, 'POST', url, { ...headers, 'content-type': 'video/mp4', 'content-length': 50_000_000 }, 5000);
      const res = await req.response;
      req.destroy();
      assert.equal(res.status, status, `${url}: ${res.body.toString()}`);
    }
    assert.equal((await storedFiles(ctx, movie.id)).filter((f) => f.includes('/trailer-')).length, 0);
  });

  it('POST stores a poster: 201, Location, and the Media JSON describing the bytes sent', async () => {
    const movie = await createMovie(ctx.app, admin, { title: 'El espíritu de la colmena', year: 1973 });
    const res = await uploadMedia(ctx.app, movie.id, 'poster', POSTER_JPG, { token: admin, as: 'multipart', filename: 'colmena.jpg' });
    const media = assertMedia(res, 201, { movieId: movie.id, kind: 'poster', data: POSTER_JPG, contentType: 'image/jpeg', width: 600, height: 900 });
    // The Location answers with the poster.
    const get = await ctx.app.inject({ method: 'GET', url: String(res.headers.location) });
    assert.equal(get.statusCode, 200);
    assert.equal(get.headers['content-type'], 'image/jpeg');
    assert.equal((await getMovie(ctx, movie.id)).poster_url, media.url);
  });

  it('POST stores a trailer as a raw body: 201, Location, the Media JSON (width and height null) and the exact bytes', async () => {
    const movie = await createMovie(ctx.app, admin, { title: 'Cría cuervos', year: 1976 });
    const res = await uploadMedia(ctx.app, movie.id, 'trailer', TRAILER_MP4, { token: admin, as: 'video/mp4' });
    const media = assertMedia(res, 201, { movieId: movie.id, kind: 'trailer', data: TRAILER_MP4, contentType: 'video/mp4', width: null, height: null });
    const get = await ctx.app.inject({ method: 'GET', url: media.url });
    assert.equal(get.statusCode, 200);
    assert.ok(get.rawPayload.equals(TRAILER_MP4));
    assert.equal((await getMovie(ctx, movie.id)).trailer_url, media.url);
  });

  it('POST when one exists answers 409 and leaves the existing poster and trailer untouched', async () => {
    const movie = await createMovie(ctx.app, admin, { title: 'Ya tiene cartel' });
    assert.equal((await uploadMedia(ctx.app, movie.id, 'poster', POSTER_JPG, { token: admin })).statusCode, 201);
    assert.equal((await uploadMedia(ctx.app, movie.id, 'trailer', TRAILER_MP4, { token: admin })).statusCode, 201);
    const prior = { poster: await served(ctx, movie.id, 'poster'), files: (await storedFiles(ctx, movie.id)), movie: await getMovie(ctx, movie.id) };

    const poster = await uploadMedia(ctx.app, movie.id, 'poster', POSTER_PNG, { token: admin, as: 'multipart' });
    assert.equal(poster.statusCode, 409, poster.body);
    assert.equal(typeof poster.json<{ detail: string }>().detail, 'string');
    const trailer = await uploadMedia(ctx.app, movie.id, 'trailer', TRAILER_WEBM, { token: admin });
    assert.equal(trailer.statusCode, 409, trailer.body);

    assert.deepEqual((await storedFiles(ctx, movie.id)), prior.files);
    const now = await served(ctx, movie.id, 'poster');
    assert.ok(now.body.equals(prior.poster.body));
    assert.equal(now.etag, prior.poster.etag);
    assert.ok((await served(ctx, movie.id, 'trailer')).body.equals(TRAILER_MP4));
    const movieNow = await getMovie(ctx, movie.id);
    assert.equal(movieNow.poster_url, prior.movie.poster_url);
    assert.equal(movieNow.trailer_url, prior.movie.trailer_url);
  });

  it('PUT answers 201 when it creates and 200 when it replaces, for posters and trailers', async () => {
    const movie = await createMovie(ctx.app, admin, { title: 'Poner y reponer' });
    const created = await uploadMedia(ctx.app, movie.id, 'poster', POSTER_JPG, { token: admin, method: 'PUT' });
    assertMedia(created, 201, { movieId: movie.id, kind: 'poster', data: POSTER_JPG, contentType: 'image/jpeg', width: 600, height: 900 });
    const replaced = await uploadMedia(ctx.app, movie.id, 'poster', POSTER_PNG, { token: admin, method: 'PUT', as: 'multipart' });
    const png = await sharp(POSTER_PNG).metadata();
    assertMedia(replaced, 200, { movieId: movie.id, kind: 'poster', data: POSTER_PNG, contentType: 'image/png', width: png.width, height: png.height });

    const trailerCreated = await uploadMedia(ctx.app, movie.id, 'trailer', TRAILER_WEBM, { token: admin, method: 'PUT', as: 'video/webm' });
    assertMedia(trailerCreated, 201, { movieId: movie.id, kind: 'trailer', data: TRAILER_WEBM, contentType: 'video/webm', width: null, height: null });
    const trailerReplaced = await uploadMedia(ctx.app, movie.id, 'trailer', TRAILER_MP4, { token: admin, method: 'PUT', as: 'multipart' });
    assertMedia(trailerReplaced, 200, { movieId: movie.id, kind: 'trailer', data: TRAILER_MP4, contentType: 'video/mp4', width: null, height: null });
    assert.ok((await served(ctx, movie.id, 'trailer')).body.equals(TRAILER_MP4));
  });

  it('DELETE answers 204, then GET and DELETE answer 404 "Poster not found" / "Trailer not found"', async () => {
    const movie = await createMovie(ctx.app, admin, { title: 'Sin cartel' });
    for (const [kind, data, name] of [
      ['poster', POSTER_JPG, 'Poster'],
      ['trailer', TRAILER_MP4, 'Trailer'],
    ] as const) {
      // Before any upload, GET already says which one is missing.
      const none = await ctx.app.inject({ method: 'GET', url: mediaUrl(movie.id, kind) });
      assert.equal(none.statusCode, 404);
      assert.deepEqual(none.json(), { detail: `${name} not found`, code: `${kind}_not_found` });

      assert.equal((await uploadMedia(ctx.app, movie.id, kind, data, { token: admin })).statusCode, 201);
      const del = await ctx.app.inject({ method: 'DELETE', url: mediaUrl(movie.id, kind), headers: bearer(admin) });
      assert.equal(del.statusCode, 204);
      assert.equal(del.body, '');
      for (const method of ['GET', 'HEAD'] as const) {
        const get = await ctx.app.inject({ method, url: mediaUrl(movie.id, kind) });
        assert.equal(get.statusCode, 404, `${method} after DELETE`);
      }
      const get = await ctx.app.inject({ method: 'GET', url: mediaUrl(movie.id, kind) });
      assert.deepEqual(get.json(), { detail: `${name} not found`, code: `${kind}_not_found` });
      const again = await ctx.app.inject({ method: 'DELETE', url: mediaUrl(movie.id, kind), headers: bearer(admin) });
      assert.equal(again.statusCode, 404);
      assert.deepEqual(again.json(), { detail: `${name} not found`, code: `${kind}_not_found` });
    }
  });

  it('answers 404 "Movie not found" for an unknown movie on GET, POST, PUT and DELETE of both kinds, storing nothing', async () => {
    for (const kind of ['poster', 'trailer'] as const) {
      const data = kind === 'poster' ? POSTER_JPG : TRAILER_MP4;
      const responses = [
        await ctx.app.inject({ method: 'GET', url: mediaUrl(424_242, kind) }),
        await ctx.app.inject({ method: 'HEAD', url: mediaUrl(424_242, kind) }),
        await uploadMedia(ctx.app, 424_242, kind, data, { token: admin }),
        await uploadMedia(ctx.app, 424_242, kind, data, { token: admin, method: 'PUT', as: 'multipart' }),
        await ctx.app.inject({ method: 'DELETE', url: mediaUrl(424_242, kind), headers: bearer(admin) }),
      ];
      for (const res of responses) {
        assert.equal(res.statusCode, 404, res.body);
        if (res.body !== '') assert.deepEqual(res.json(), { detail: 'Movie not found', code: 'movie_not_found' });
      }
    }
    assert.deepEqual(await storedKeys(ctx, 'movies/424242/'), []);
    assertNoLeftovers(ctx);
  });

  it('answers 422 at ["body","file"] to a multipart form without a `file` field', async () => {
    const movie = await createMovie(ctx.app, admin, { title: 'Formulario sin fichero' });
    const forms = [
      multipartBody([{ name: 'title', data: 'only a text field' }]),
      multipartBody([{ name: 'image', filename: 'poster.jpg', contentType: 'image/jpeg', data: POSTER_JPG }]),
      multipartBody([{ name: 'file', data: 'a text field named file, not a file' }]),
    ];
    for (const kind of ['poster', 'trailer'] as const) {
      for (const form of forms) {
        const res = await ctx.app.inject({
          method: 'PUT',
          url: mediaUrl(movie.id, kind),
          headers: { ...bearer(admin), 'content-type': form.contentType },
          payload: form.payload,
        });
        assertInvalid(res, [['body', 'file']]);
      }
    }
    assert.deepEqual((await storedFiles(ctx, movie.id)), []);
    assertNoLeftovers(ctx);
  });

  it('puts a content version (?v=) in poster_url and trailer_url that changes with the file, and null after DELETE', async () => {
    const movie = await createMovie(ctx.app, admin, { title: 'Versiones' });
    const fresh = await getMovie(ctx, movie.id);
    assert.equal(fresh.poster_url, null);
    assert.equal(fresh.trailer_url, null);

    const p1 = (await uploadMedia(ctx.app, movie.id, 'poster', POSTER_JPG, { token: admin })).json<MediaJson>();
    const t1 = (await uploadMedia(ctx.app, movie.id, 'trailer', TRAILER_MP4, { token: admin })).json<MediaJson>();
    const m1 = await getMovie(ctx, movie.id);
    assert.match(String(m1.poster_url), new RegExp(`^/api/v1/movies/${movie.id}/poster\\?v=[0-9a-f]+$`));
    assert.match(String(m1.trailer_url), new RegExp(`^/api/v1/movies/${movie.id}/trailer\\?v=[0-9a-f]+$`));
    assert.equal(m1.poster_url, p1.url);
    assert.equal(m1.trailer_url, t1.url);
    // The list shows the same URLs.
    const list = await ctx.app.inject({ method: 'GET', url: '/api/v1/movies?limit=100' });
    const listed = list.json<MovieJson[]>().find((m) => m.id === movie.id);
    assert.equal(listed?.poster_url, p1.url);
    assert.equal(listed?.trailer_url, t1.url);

    const p2 = (await uploadMedia(ctx.app, movie.id, 'poster', POSTER_WEBP, { token: admin, method: 'PUT' })).json<MediaJson>();
    const t2 = (await uploadMedia(ctx.app, movie.id, 'trailer', TRAILER_WEBM, { token: admin, method: 'PUT' })).json<MediaJson>();
    const m2 = await getMovie(ctx, movie.id);
    assert.notEqual(m2.poster_url, m1.poster_url);
    assert.notEqual(m2.trailer_url, m1.trailer_url);
    assert.equal(m2.poster_url, p2.url);
    assert.equal(m2.trailer_url, t2.url);

    for (const kind of ['poster', 'trailer'] as const) {
      assert.equal((await ctx.app.inject({ method: 'DELETE', url: mediaUrl(movie.id, kind), headers: bearer(admin) })).statusCode, 204);
    }
    const m3 = await getMovie(ctx, movie.id);
    assert.equal(m3.poster_url, null);
    assert.equal(m3.trailer_url, null);
  });
});

describe('media types are decided by the bytes', () => {
  let ctx: TestContext;
  let admin: string;

  before(async () => {
    ctx = await startApp();
    admin = await adminToken(ctx);
  });
  after(async () => ctx.close());

  it('accepts JPEG, PNG and WebP posters, raw or multipart, whatever their declared type', async () => {
    for (const [data, type] of [
      [POSTER_JPG, 'image/jpeg'],
      [POSTER_PNG, 'image/png'],
      [POSTER_WEBP, 'image/webp'],
    ] as const) {
      const meta = await sharp(data).metadata();
      for (const as of ['multipart', type, 'application/octet-stream']) {
        const movie = await createMovie(ctx.app, admin, { title: `Cartel ${type} ${as}` });
        const res = await uploadMedia(ctx.app, movie.id, 'poster', data, { token: admin, as });
        assertMedia(res, 201, { movieId: movie.id, kind: 'poster', data, contentType: type, width: meta.width, height: meta.height });
      }
    }
    await assertStoreMatchesDb(ctx);
  });

  it('accepts MP4 and WebM trailers, raw or multipart, and serves back the exact bytes', async () => {
    for (const [data, type] of [
      [TRAILER_MP4, 'video/mp4'],
      [TRAILER_WEBM, 'video/webm'],
    ] as const) {
      for (const as of ['multipart', type, 'application/octet-stream']) {
        const movie = await createMovie(ctx.app, admin, { title: `Tráiler ${type} ${as}` });
        const res = await uploadMedia(ctx.app, movie.id, 'trailer', data, { token: admin, as });
        assertMedia(res, 201, { movieId: movie.id, kind: 'trailer', data, contentType: type, width: null, height: null });
        const get = await ctx.app.inject({ method: 'GET', url: mediaUrl(movie.id, 'trailer') });
        assert.equal(get.headers['content-type'], type);
        assert.ok(get.rawPayload.equals(data));
      }
    }
    await assertStoreMatchesDb(ctx);
  });

  it('takes a PNG sent to the poster with Content-Type video/mp4 as the image/png it is', async () => {
    const movie = await createMovie(ctx.app, admin, { title: 'Disfrazado' });
    const res = await uploadMedia(ctx.app, movie.id, 'poster', POSTER_PNG, { token: admin, as: 'video/mp4' });
    const meta = await sharp(POSTER_PNG).metadata();
    assertMedia(res, 201, { movieId: movie.id, kind: 'poster', data: POSTER_PNG, contentType: 'image/png', width: meta.width, height: meta.height });
  });

  it('answers 415 to a text file named .jpg sent as image/jpeg, raw or multipart, and stores nothing', async () => {
    const movie = await createMovie(ctx.app, admin, { title: 'Texto disfrazado' });
    for (const as of ['image/jpeg', 'multipart']) {
      const res = await uploadMedia(ctx.app, movie.id, 'poster', NOT_AN_IMAGE, { token: admin, as, filename: 'not-an-image.jpg' });
      assert.equal(res.statusCode, 415, `${as}: ${res.body}`);
      assert.equal(typeof res.json<{ detail: string }>().detail, 'string');
    }
    assert.deepEqual((await storedFiles(ctx, movie.id)), []);
    assert.equal((await getMovie(ctx, movie.id)).poster_url, null);
    assertNoLeftovers(ctx);
  });

  it('answers 415 to an image sent as a trailer and to a video sent as a poster, keeping the previous ones', async () => {
    const movie = await createMovie(ctx.app, admin, { title: 'Cruzados' });
    assert.equal((await uploadMedia(ctx.app, movie.id, 'poster', POSTER_JPG, { token: admin })).statusCode, 201);
    assert.equal((await uploadMedia(ctx.app, movie.id, 'trailer', TRAILER_WEBM, { token: admin })).statusCode, 201);
    const prior = { files: (await storedFiles(ctx, movie.id)), poster: await served(ctx, movie.id, 'poster') };

    for (const [data, as] of [
      [POSTER_JPG, 'video/mp4'],
      [POSTER_PNG, 'multipart'],
      [POSTER_WEBP, 'video/webm'],
    ] as const) {
      const res = await uploadMedia(ctx.app, movie.id, 'trailer', data, { token: admin, method: 'PUT', as });
      assert.equal(res.statusCode, 415, res.body);
    }
    for (const [data, as] of [
      [TRAILER_MP4, 'image/jpeg'],
      [TRAILER_WEBM, 'multipart'],
    ] as const) {
      const res = await uploadMedia(ctx.app, movie.id, 'poster', data, { token: admin, method: 'PUT', as });
      assert.equal(res.statusCode, 415, res.body);
    }
    assert.deepEqual((await storedFiles(ctx, movie.id)), prior.files);
    assert.ok((await served(ctx, movie.id, 'poster')).body.equals(prior.poster.body));
    assert.ok((await served(ctx, movie.id, 'trailer')).body.equals(TRAILER_WEBM));
    await assertStoreMatchesDb(ctx);
  });

  it('answers 422 to an image that does not decode: a truncated JPEG, or a JPEG header followed by garbage', async () => {
    const movie = await createMovie(ctx.app, admin, { title: 'Roto' });
    const truncated = POSTER_JPG.subarray(0, 5000);
    const garbage = Buffer.concat([POSTER_JPG.subarray(0, 1024), Buffer.alloc(20_000, 0x5a)]);
    for (const data of [truncated, garbage]) {
      for (const as of ['image/jpeg', 'multipart']) {
        const res = await uploadMedia(ctx.app, movie.id, 'poster', data, { token: admin, method: 'PUT', as });
        assertInvalid(res, [['body', 'file']]);
      }
    }
    assert.deepEqual((await storedFiles(ctx, movie.id)), []);
    assertNoLeftovers(ctx);
  });

  it('answers 422 to an image over 50 megapixels (8000 x 7000), and stores none of its copies', async () => {
    const movie = await createMovie(ctx.app, admin, { title: 'Gigante' });
    const huge = await sharp({ create: { width: 8000, height: 7000, channels: 3, background: '#202020' } })
      .png({ compressionLevel: 9 })
      .toBuffer();
    assert.ok(huge.length < 10 * 1024 * 1024, 'the test image must stay under the size limit');
    const res = await uploadMedia(ctx.app, movie.id, 'poster', huge, { token: admin, as: 'image/png' });
    assertInvalid(res, [['body', 'file']]);
    assert.match(res.json<{ detail: { msg: string }[] }>().detail[0]!.msg, /megapixel/i);
    assert.deepEqual((await storedFiles(ctx, movie.id)), []);
    assertNoLeftovers(ctx);
  });

  it('answers 422 to a truncated MP4 trailer, and keeps the previous trailer', async () => {
    const movie = await createMovie(ctx.app, admin, { title: 'Cortado' });
    assert.equal((await uploadMedia(ctx.app, movie.id, 'trailer', TRAILER_WEBM, { token: admin })).statusCode, 201);
    const files = (await storedFiles(ctx, movie.id));
    for (const as of ['video/mp4', 'multipart']) {
      const res = await uploadMedia(ctx.app, movie.id, 'trailer', TRUNCATED_MP4, { token: admin, method: 'PUT', as });
      assertInvalid(res, [['body', 'file']]);
    }
    // A longer cut (most of the file, but not all of it) is caught as well.
    const cut = await uploadMedia(ctx.app, movie.id, 'trailer', TRAILER_MP4.subarray(0, TRAILER_MP4.length - 1000), { token: admin, method: 'PUT' });
    assertInvalid(cut, [['body', 'file']]);
    assert.deepEqual((await storedFiles(ctx, movie.id)), files);
    assert.ok((await served(ctx, movie.id, 'trailer')).body.equals(TRAILER_WEBM));
    assertNoLeftovers(ctx);
  });

  it('answers 422 to an empty file: raw with a type, raw with no Content-Type at all, or an empty multipart file', async () => {
    const movie = await createMovie(ctx.app, admin, { title: 'Vacío' });
    for (const kind of ['poster', 'trailer'] as const) {
      const typed = await uploadMedia(ctx.app, movie.id, kind, Buffer.alloc(0), { token: admin, as: kind === 'poster' ? 'image/jpeg' : 'video/mp4' });
      assertInvalid(typed, [['body', 'file']]);
      const untyped = await ctx.app.inject({ method: 'PUT', url: mediaUrl(movie.id, kind), headers: bearer(admin) });
      assertInvalid(untyped, [['body', 'file']]);
      const multipart = await uploadMedia(ctx.app, movie.id, kind, Buffer.alloc(0), { token: admin, method: 'PUT', as: 'multipart' });
      assertInvalid(multipart, [['body', 'file']]);
    }
    assert.deepEqual((await storedFiles(ctx, movie.id)), []);
    assertNoLeftovers(ctx);
  });
});

describe('size limits are enforced while the upload streams (413)', () => {
  let ctx: TestContext;
  let admin: string;
  let port: number;
  let movieId: number;
  let previous: { poster: { body: Buffer; etag: string }; trailer: Buffer; files: string[] };
  // poster.webp (3778 bytes) fits; poster.jpg (9898) does not. trailer.webm (121133) fits; trailer.mp4 (161422) does not.
  const POSTER_LIMIT = 5000;
  const TRAILER_LIMIT = 130_000;

  before(async () => {
    ctx = await startApp({ POSTER_MAX_BYTES: String(POSTER_LIMIT), TRAILER_MAX_BYTES: String(TRAILER_LIMIT) });
    admin = await adminToken(ctx);
    port = await listenOnLoopback(ctx);
    movieId = (await createMovie(ctx.app, admin, { title: 'Con límites' })).id;
    assert.equal((await uploadMedia(ctx.app, movieId, 'poster', POSTER_WEBP, { token: admin })).statusCode, 201);
    assert.equal((await uploadMedia(ctx.app, movieId, 'trailer', TRAILER_WEBM, { token: admin })).statusCode, 201);
    previous = { poster: await served(ctx, movieId, 'poster'), trailer: (await served(ctx, movieId, 'trailer')).body, files: (await storedFiles(ctx, movieId)) };
    assert.ok(previous.trailer.equals(TRAILER_WEBM));
  });
  after(async () => ctx.close());

  /** The failed upload changed nothing: same files, same bytes served, nothing half-written. */
  async function assertPreviousIntact(): Promise<void> {
    assert.deepEqual((await storedFiles(ctx, movieId)), previous.files);
    const poster = await served(ctx, movieId, 'poster');
    assert.ok(poster.body.equals(previous.poster.body), 'poster bytes changed');
    assert.equal(poster.etag, previous.poster.etag);
    assert.ok((await served(ctx, movieId, 'trailer')).body.equals(previous.trailer), 'trailer bytes changed');
    await assertStoreMatchesDb(ctx);
  }

  it('answers 413 to a file over the limit sent with Content-Length, raw or multipart', async () => {
    for (const [kind, data] of [
      ['poster', POSTER_JPG],
      ['trailer', TRAILER_MP4],
    ] as const) {
      for (const as of ['application/octet-stream', 'multipart']) {
        const res = await uploadMedia(ctx.app, movieId, kind, data, { token: admin, method: 'PUT', as });
        assert.equal(res.statusCode, 413, `${kind} ${as}: ${res.body}`);
        assert.equal(typeof res.json<{ detail: string }>().detail, 'string');
      }
    }
    await assertPreviousIntact();
  });

  it('answers 413 on a declared Content-Length over the limit before any of the body is sent', async () => {
    for (const [kind, size] of [
      ['poster', POSTER_LIMIT + 1],
      ['trailer', 10 * 1024 * 1024 * 1024],
    ] as const) {
      const req = wireRequest(port, 'PUT', mediaUrl(movieId, kind), { ...bearer(admin), 'content-type': 'image/jpeg', 'content-length': size }, 5000);
      const res = await req.response;
      req.destroy();
      assert.equal(res.status, 413, `${kind}: ${res.body.toString()}`);
    }
    await assertPreviousIntact();
  });

  it('answers 413 to a chunked upload (no Content-Length) as soon as it passes the limit, before the rest is sent', async () => {
    for (const [kind, data, chunk, type] of [
      ['poster', POSTER_JPG, 1000, 'image/jpeg'],
      ['trailer', TRAILER_MP4, 8192, 'video/mp4'],
    ] as const) {
      const req = wireRequest(port, 'PUT', mediaUrl(movieId, kind), { ...bearer(admin), 'content-type': type });
      const { res, sent } = await sendUntilAnswered(req, data, chunk);
      assert.equal(res.status, 413, `${kind}: ${res.body.toString()}`);
      assert.ok(sent < data.length, `${kind}: the 413 came only after all ${data.length} bytes were sent`);
      assert.match(res.body.toString(), /"detail"/);
    }
    await assertPreviousIntact();
  });

  it('answers 413 to a chunked multipart upload over the limit, and keeps serving afterwards', async () => {
    const form = multipartBody([{ name: 'file', filename: 'big.mp4', contentType: 'video/mp4', data: TRAILER_MP4 }]);
    const req = wireRequest(port, 'PUT', mediaUrl(movieId, 'trailer'), { ...bearer(admin), 'content-type': form.contentType });
    const { res } = await sendUntilAnswered(req, form.payload, 8192);
    assert.equal(res.status, 413, res.body.toString());
    await assertPreviousIntact();
    const again = await wireFetch(port, 'GET', mediaUrl(movieId, 'trailer'));
    assert.equal(again.status, 200);
    assert.ok(again.body.equals(previous.trailer));
  });
});

describe('replacing is atomic, and a failed or aborted upload leaves nothing behind', () => {
  let ctx: TestContext;
  let admin: string;
  let port: number;

  before(async () => {
    ctx = await startApp();
    admin = await adminToken(ctx);
    port = await listenOnLoopback(ctx);
  });
  after(async () => ctx.close());

  it('after PUT the old files are gone, the new ones present, and GET serves the new bytes', async () => {
    const movie = await createMovie(ctx.app, admin, { title: 'Sustitución' });
    const p1 = (await uploadMedia(ctx.app, movie.id, 'poster', POSTER_JPG, { token: admin })).json<MediaJson>();
    const t1 = (await uploadMedia(ctx.app, movie.id, 'trailer', TRAILER_MP4, { token: admin })).json<MediaJson>();
    const oldFiles = (await storedFiles(ctx, movie.id));
    assert.equal(oldFiles.length, POSTER_VARIANTS.length + 1);
    const oldPoster = await served(ctx, movie.id, 'poster');

    const replacement = await otherJpeg(400, 600);
    const p2 = (await uploadMedia(ctx.app, movie.id, 'poster', replacement, { token: admin, method: 'PUT' })).json<MediaJson>();
    const t2 = (await uploadMedia(ctx.app, movie.id, 'trailer', TRAILER_WEBM, { token: admin, method: 'PUT' })).json<MediaJson>();
    assert.notEqual(p2.url, p1.url);
    assert.notEqual(t2.url, t1.url);

    const newFiles = (await storedFiles(ctx, movie.id));
    assert.equal(newFiles.length, POSTER_VARIANTS.length + 1);
    for (const file of oldFiles) assert.ok(!newFiles.includes(file), `old file still stored: ${file}`);
    await assertStoreMatchesDb(ctx);

    const newPoster = await served(ctx, movie.id, 'poster');
    assert.notEqual(newPoster.etag, oldPoster.etag);
    assert.equal((await sharp(newPoster.body).metadata()).width, 400);
    assert.ok((await served(ctx, movie.id, 'trailer')).body.equals(TRAILER_WEBM));
  });

  it('while a slow chunked PUT streams into the store, GET keeps serving the old complete trailer', async () => {
    const movie = await createMovie(ctx.app, admin, { title: 'Mientras tanto' });
    assert.equal((await uploadMedia(ctx.app, movie.id, 'trailer', TRAILER_WEBM, { token: admin })).statusCode, 201);
    const prior = await served(ctx, movie.id, 'trailer');
    const beforeUrl = (await getMovie(ctx, movie.id)).trailer_url;

    const req = wireRequest(port, 'PUT', mediaUrl(movie.id, 'trailer'), { ...bearer(admin), 'content-type': 'video/mp4' });
    const half = Math.floor(TRAILER_MP4.length / 2);
    await req.write(TRAILER_MP4.subarray(0, half));
    // The upload streams to the store as it arrives (an unfinished write, not yet visible under a key).
    await waitUntil(() => unfinishedWrites(ctx).some((w) => w.bytes > 0), 'bytes in an unfinished write');
    for (let i = 0; i < 3; i += 1) {
      const during = await wireFetch(port, 'GET', mediaUrl(movie.id, 'trailer'));
      assert.equal(during.status, 200);
      assert.ok(during.body.equals(TRAILER_WEBM), 'GET during the upload must serve the old complete file');
      assert.equal(during.headers.etag, prior.etag);
      assert.equal((await getMovie(ctx, movie.id)).trailer_url, beforeUrl);
      await sleep(20);
    }
    assert.equal(req.answered(), false);
    await req.write(TRAILER_MP4.subarray(half));
    req.end();
    const res = await req.response;
    assert.equal(res.status, 200, res.body.toString());
    const afterIt = await served(ctx, movie.id, 'trailer');
    assert.ok(afterIt.body.equals(TRAILER_MP4));
    assert.notEqual(afterIt.etag, prior.etag);
    await assertStoreMatchesDb(ctx);
  });

  it('while a slow chunked poster PUT is in progress, GET keeps serving the old poster', async () => {
    const movie = await createMovie(ctx.app, admin, { title: 'Cartel mientras tanto' });
    assert.equal((await uploadMedia(ctx.app, movie.id, 'poster', POSTER_WEBP, { token: admin })).statusCode, 201);
    const prior = await served(ctx, movie.id, 'poster');
    const replacement = await otherJpeg(500, 750);

    const req = wireRequest(port, 'PUT', mediaUrl(movie.id, 'poster'), { ...bearer(admin), 'content-type': 'image/jpeg' });
    const part = Math.min(replacement.length - 100, 6000);
    await req.write(replacement.subarray(0, part));
    await waitUntil(() => filesUnder(stagingDir(ctx)).length > 0, 'the poster being staged');
    const during = await wireFetch(port, 'GET', mediaUrl(movie.id, 'poster'));
    assert.equal(during.status, 200);
    assert.ok(during.body.equals(prior.body));
    assert.equal(during.headers.etag, prior.etag);
    await req.write(replacement.subarray(part));
    req.end();
    const res = await req.response;
    assert.equal(res.status, 200, res.body.toString());
    const now = await served(ctx, movie.id, 'poster');
    assert.equal((await sharp(now.body).metadata()).width, 500);
    await assertStoreMatchesDb(ctx);
  });

  for (const [kind, multipart] of [
    ['trailer', false],
    ['poster', false],
    ['trailer', true],
    ['poster', true],
  ] as const) {
    const how = multipart ? 'multipart' : 'raw';
    it(`a ${how} upload cut off mid-way leaves no partial file, the previous ${kind} is served unchanged, and the server keeps serving`, async () => {
      const movie = await createMovie(ctx.app, admin, { title: `Cortado a medias (${kind}, ${how})` });
      const [oldData, newData, type] = kind === 'trailer' ? [TRAILER_WEBM, TRAILER_MP4, 'video/mp4'] : [POSTER_WEBP, POSTER_JPG, 'image/jpeg'];
      assert.equal((await uploadMedia(ctx.app, movie.id, kind, oldData, { token: admin })).statusCode, 201);
      const prior = await served(ctx, movie.id, kind);
      const files = (await storedFiles(ctx, movie.id));

      const form = multipartBody([{ name: 'file', filename: `new.${kind === 'trailer' ? 'mp4' : 'jpg'}`, contentType: type, data: newData }]);
      const [body, bodyType] = multipart ? [form.payload, form.contentType] : [newData, type];
      const req = wireRequest(port, 'PUT', mediaUrl(movie.id, kind), { ...bearer(admin), 'content-type': bodyType });
      await req.write(body.subarray(0, Math.floor(body.length * 0.6)));
      // Wait until the server is writing the partial upload somewhere, then cut the connection.
      const partialBytes = (): number[] =>
        kind === 'trailer' ? unfinishedWrites(ctx).map((w) => w.bytes) : filesUnder(stagingDir(ctx)).map((f) => statSync(path.join(stagingDir(ctx), f), { throwIfNoEntry: false })?.size ?? 0);
      await waitUntil(() => partialBytes().some((bytes) => bytes > 0), `a partial ${kind} being written`);
      req.destroy();
      await assert.rejects(req.response);

      await waitUntil(() => unfinishedWrites(ctx).length === 0 && filesUnder(stagingDir(ctx)).length === 0, 'the partial upload to be removed');
      assert.deepEqual((await storedFiles(ctx, movie.id)), files);
      const afterIt = await wireFetch(port, 'GET', mediaUrl(movie.id, kind));
      assert.equal(afterIt.status, 200);
      assert.ok(afterIt.body.equals(prior.body), `the ${kind} served changed after an aborted upload`);
      assert.equal(afterIt.headers.etag, prior.etag);
      await assertStoreMatchesDb(ctx);

      // And a complete upload over a new connection still works.
      const retry = wireRequest(port, 'PUT', mediaUrl(movie.id, kind), { ...bearer(admin), 'content-type': type, 'content-length': newData.length });
      await retry.write(newData);
      retry.end();
      assert.equal((await retry.response).status, 200);
      await assertStoreMatchesDb(ctx);
    });
  }
});

describe('sweepOrphans', () => {
  let ctx: TestContext;
  let admin: string;

  before(async () => {
    ctx = await startApp();
    admin = await adminToken(ctx);
  });
  after(async () => ctx.close());

  it('removes old objects no media row points at, and keeps live objects and recent leftovers, whatever the store', async () => {
    const movie = await createMovie(ctx.app, admin, { title: 'Huérfanos en cualquier almacén' });
    assert.equal((await uploadMedia(ctx.app, movie.id, 'poster', POSTER_JPG, { token: admin })).statusCode, 201);
    assert.equal((await uploadMedia(ctx.app, movie.id, 'trailer', TRAILER_MP4, { token: admin })).statusCode, 201);
    const live = await storedFiles(ctx, movie.id);
    const { store } = ctx.app;
    const put = async (key: string): Promise<string> => {
      await store.put(key, Readable.from([Buffer.from('leftover')]));
      return key;
    };
    // No store lets a test backdate an object: the sweep instead runs at a time that makes these
    // older than the grace period, and the "recent" ones, written over a second later (S3 dates
    // objects to the second), younger than it.
    const oldOrphans = [
      await put(`movies/${movie.id}/poster-deadbeef/full.jpg`),
      await put(`movies/${movie.id}/trailer-0123abcd/video`),
      await put('movies/987654/poster-feedface/full.jpg'), // a movie that no longer exists
    ];
    const writtenBy = Date.now();
    await sleep(1100);
    const recent = [await put(`movies/${movie.id}/poster-cafebabe/full.jpg`)];

    const removed = await sweepOrphans(ctx.db, store, writtenBy + ORPHAN_GRACE_MS + 1);
    assert.equal(removed, oldOrphans.length);
    const left = await storedKeys(ctx, 'movies/');
    for (const key of oldOrphans) assert.ok(!left.includes(key), `orphan kept: ${key}`);
    assert.deepEqual(left, [...live, ...recent].sort());
    assert.ok((await served(ctx, movie.id, 'trailer')).body.equals(TRAILER_MP4));

    const later = await sweepOrphans(ctx.db, store, Date.now() + 2 * ORPHAN_GRACE_MS);
    assert.equal(later, recent.length);
    assert.deepEqual(await storedFiles(ctx, movie.id), live);
    await assertStoreMatchesDb(ctx);
  });

  // The file store's own leftovers (temporary files of crashed writes) can be forged, backdated,
  // on disk; an S3 store's are multipart uploads, which s3rver can neither list nor abort.
  it('on the file store, also removes old unfinished writes and tidies emptied directories', { skip: testMediaStoreKind() === 's3' && 'forges backdated files on disk: file store only' }, async () => {
    const movie = await createMovie(ctx.app, admin, { title: 'Huérfanos' });
    assert.equal((await uploadMedia(ctx.app, movie.id, 'poster', POSTER_JPG, { token: admin })).statusCode, 201);
    assert.equal((await uploadMedia(ctx.app, movie.id, 'trailer', TRAILER_MP4, { token: admin })).statusCode, 201);
    const live = await storedFiles(ctx, movie.id);
    const root = fileStoreRoot(ctx);
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);

    const put = (rel: string, old: boolean): string => {
      forgeLeftover(ctx, rel, old);
      return rel;
    };
    const oldOrphans = [
      put(`movies/${movie.id}/poster-deadbeef/full.jpg`, true),
      put(`movies/${movie.id}/poster-deadbeef/w160.webp`, true),
      put(`movies/${movie.id}/trailer-0123abcd/video`, true),
      put('movies/987654/poster-feedface/full.jpg', true), // a movie that no longer exists
      put('.incoming/5b0a6a52-old-unfinished-write', true),
    ];
    const recent = [put(`movies/${movie.id}/poster-cafebabe/full.jpg`, false), put('.incoming/recent-unfinished-write', false)];
    // Live files count as live because a row points at them, however old they are.
    for (const rel of live) utimesSync(path.join(root, ...rel.split('/')), twoHoursAgo, twoHoursAgo);

    const removed = await sweepOrphans(ctx.db, ctx.app.store);
    assert.equal(removed, oldOrphans.length);
    for (const rel of oldOrphans) assert.equal(existsSync(path.join(root, ...rel.split('/'))), false, `orphan kept: ${rel}`);
    for (const rel of [...live, ...recent]) assert.equal(existsSync(path.join(root, ...rel.split('/'))), true, `removed: ${rel}`);
    // Emptied directories go too.
    assert.equal(existsSync(path.join(root, 'movies', '987654')), false);
    assert.equal(existsSync(path.join(root, 'movies', String(movie.id), 'poster-deadbeef')), false);

    // The live poster and trailer are still served whole.
    assert.ok((await served(ctx, movie.id, 'trailer')).body.equals(TRAILER_MP4));
    assert.equal((await served(ctx, movie.id, 'poster')).body.length > 0, true);
    // A second sweep (at a time past the grace period of the recent leftovers) takes them as well, and never the live files.
    const later = await sweepOrphans(ctx.db, ctx.app.store, Date.now() + 2 * 3600_000);
    assert.equal(later, recent.length);
    assert.deepEqual((await storedFiles(ctx, movie.id)), live);
    assert.deepEqual(unfinishedWrites(ctx), []);
  });
});

describe('MEDIA_SWEEP_INTERVAL: the sweep runs again while the server runs', () => {
  let ctx: TestContext;
  let admin: string;

  before(async () => {
    ctx = await startApp({ MEDIA_SWEEP_INTERVAL: '1' });
    admin = await adminToken(ctx);
  });
  after(async () => ctx.close());

  it('takes old orphans and old unfinished writes within the interval, and leaves live and recent files', { skip: testMediaStoreKind() === 's3' && 'forges backdated files on disk: file store only' }, async () => {
    const movie = await createMovie(ctx.app, admin, { title: 'Barrido' });
    assert.equal((await uploadMedia(ctx.app, movie.id, 'poster', POSTER_JPG, { token: admin })).statusCode, 201);
    const live = await storedFiles(ctx, movie.id);
    const put = (rel: string, old: boolean): string => forgeLeftover(ctx, rel, old);
    const old = [put(`movies/${movie.id}/trailer-0badf00d/video`, true), put('.incoming/a-write-cut-off-by-a-crash', true)];
    const recent = put(`movies/${movie.id}/poster-5ca1ab1e/full.jpg`, false);
    await waitUntil(() => old.every((file) => !existsSync(file)), 'the periodic sweep', 5000);
    assert.ok(existsSync(recent), 'a recent file is not an orphan yet');
    assert.deepEqual((await storedFiles(ctx, movie.id)).filter((key) => !key.includes('5ca1ab1e')), live);
    assert.equal((await uploadMedia(ctx.app, movie.id, 'poster', POSTER_WEBP, { token: admin, method: 'PUT' })).statusCode, 200);
  });
});

describe('deleting a poster, a trailer or the movie removes the files', () => {
  let ctx: TestContext;
  let admin: string;

  before(async () => {
    ctx = await startApp();
    admin = await adminToken(ctx);
  });
  after(async () => ctx.close());

  async function movieWithMedia(title: string): Promise<number> {
    const movie = await createMovie(ctx.app, admin, { title });
    assert.equal((await uploadMedia(ctx.app, movie.id, 'poster', POSTER_JPG, { token: admin })).statusCode, 201);
    assert.equal((await uploadMedia(ctx.app, movie.id, 'trailer', TRAILER_MP4, { token: admin })).statusCode, 201);
    assert.equal((await storedFiles(ctx, movie.id)).length, POSTER_VARIANTS.length + 1);
    return movie.id;
  }

  it('DELETE poster removes its files and only them; DELETE trailer removes the video', async () => {
    const id = await movieWithMedia('Borrar por partes');
    const bystander = await movieWithMedia('Testigo');
    const bystanderFiles = (await storedFiles(ctx, bystander));

    assert.equal((await ctx.app.inject({ method: 'DELETE', url: mediaUrl(id, 'poster'), headers: bearer(admin) })).statusCode, 204);
    const left = (await storedFiles(ctx, id));
    assert.equal(left.length, 1);
    assert.match(left[0]!, new RegExp(`^movies/${id}/trailer-[0-9a-f]+/video$`));

    assert.equal((await ctx.app.inject({ method: 'DELETE', url: mediaUrl(id, 'trailer'), headers: bearer(admin) })).statusCode, 204);
    assert.deepEqual((await storedFiles(ctx, id)), []);
    if (ctx.config.mediaStore.kind === 'file') {
      assert.equal(existsSync(path.join(fileStoreRoot(ctx), 'movies', String(id))), false, 'empty directories are tidied away');
    }
    assert.deepEqual((await storedFiles(ctx, bystander)), bystanderFiles);
    await assertStoreMatchesDb(ctx);
  });

  it('DELETE /api/v1/movies/{id} removes the movie’s poster and trailer files', async () => {
    const id = await movieWithMedia('Borrar entera');
    const bystander = await movieWithMedia('Otro testigo');
    const bystanderFiles = (await storedFiles(ctx, bystander));
    const res = await ctx.app.inject({ method: 'DELETE', url: `/api/v1/movies/${id}`, headers: bearer(admin) });
    assert.equal(res.statusCode, 204);
    assert.deepEqual((await storedFiles(ctx, id)), []);
    const rows = await ctx.db.selectFrom('media').select('movie_id').where('movie_id', '=', id).execute();
    assert.deepEqual(rows, []);
    for (const kind of ['poster', 'trailer'] as const) {
      const get = await ctx.app.inject({ method: 'GET', url: mediaUrl(id, kind) });
      assert.equal(get.statusCode, 404);
      assert.deepEqual(get.json(), { detail: 'Movie not found', code: 'movie_not_found' });
    }
    assert.deepEqual((await storedFiles(ctx, bystander)), bystanderFiles);
    await assertStoreMatchesDb(ctx);
  });
});

describe('client file names never reach the file system', () => {
  let ctx: TestContext;
  let admin: string;

  before(async () => {
    ctx = await startApp();
    admin = await adminToken(ctx);
  });
  after(async () => ctx.close());

  it('stores uploads named ../../etc/passwd or ..%2F..%2Fx.jpg under keys Butaca makes, inside the media root', async () => {
    const mediaDir = ctx.config.mediaStore.kind === 'file' ? fileStoreRoot(ctx) : path.join(ctx.config.dataDir, 'media');
    const outside = path.resolve(mediaDir, '..', '..', 'etc', 'passwd');
    const outsideBefore = existsSync(outside);
    const names = ['../../etc/passwd', '..%2F..%2Fx.jpg', '/etc/passwd', '..\\..\\x.jpg'];
    const ids: number[] = [];
    for (const [i, filename] of names.entries()) {
      const movie = await createMovie(ctx.app, admin, { title: `Nombre peligroso ${i}` });
      ids.push(movie.id);
      const kind = i % 2 === 0 ? 'poster' : 'trailer';
      const data = kind === 'poster' ? POSTER_JPG : TRAILER_MP4;
      const res = await uploadMedia(ctx.app, movie.id, kind, data, { token: admin, as: 'multipart', filename });
      assert.equal(res.statusCode, 201, `${filename}: ${res.body}`);
      assert.ok(!res.body.includes('passwd') && !res.body.includes('x.jpg'), 'the client file name is not echoed');
    }

    const keys = await storedKeys(ctx);
    assert.equal(keys.length, 2 * (POSTER_VARIANTS.length + 1));
    for (const key of keys) {
      assert.match(key, /^movies\/\d+\/(poster|trailer)-[0-9a-f]+\/(full|w160|w320|w640)?(\.jpg|\.webp|video)$/);
      const [, id, dir, variant] = key.split('/');
      assert.ok(ids.includes(Number(id)), key);
      assert.match(dir!, /^(poster|trailer)-[0-9a-f]+$/);
      assert.ok(VARIANTS.poster.includes(variant!) || variant === 'video', key);
      for (const segment of key.split('/')) {
        assert.ok(!/passwd|x\.jpg|%2f|\.\.|etc/i.test(segment), `client name in ${key}`);
      }
    }
    // Nothing outside the media root: DATA_DIR holds the database, the media root and the staging dir only.
    // (butaca.db.counters: the login/rate-limit counters' side database beside the SQLite file.)
    const databases = ['butaca.db', 'butaca.db.counters'].flatMap((db) => [db, `${db}-wal`, `${db}-shm`, `${db}-journal`]);
    const allowed = new Set([...databases, 'media', 'tmp']);
    for (const entry of readdirSync(ctx.config.dataDir)) assert.ok(allowed.has(entry), `unexpected ${entry} in DATA_DIR`);
    assert.deepEqual(filesUnder(stagingDir(ctx)), []);
    assert.equal(existsSync(outside), outsideBefore);
    assert.equal(existsSync(path.join(ctx.config.dataDir, 'etc')), false);
    await assertStoreMatchesDb(ctx);
  });
});
