import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import sharp from 'sharp';
import {
  type MediaKindName,
  type TestContext,
  adminToken,
  assertInvalid,
  bearer,
  createMovie,
  listenOnLoopback,
  mediaFixture,
  startApp,
  storedBytes,
  uploadMedia,
  wireFetch,
} from './support/app.js';
import type { StoredObject } from '../src/storage/store.js';

// ---------------------------------------------------------------------------------------------
// Helpers local to this file

const POSTER_JPG = mediaFixture('poster.jpg');
const TRAILER_MP4 = mediaFixture('trailer.mp4');
const TRAILER_WEBM = mediaFixture('trailer.webm');
const SIZE = TRAILER_MP4.length;

const IMMUTABLE = 'public, max-age=31536000, immutable';
const WIDTHS = [160, 320, 640] as const;
const POSTER_VARIANTS = ['full.jpg', 'full.webp', 'w160.jpg', 'w160.webp', 'w320.jpg', 'w320.webp', 'w640.jpg', 'w640.webp'];

const mediaUrl = (movieId: number, kind: MediaKindName): string => `/api/v1/movies/${movieId}/${kind}`;

const isJpeg = (b: Buffer): boolean => b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
const isWebp = (b: Buffer): boolean => b.length > 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP';

function get(ctx: TestContext, url: string, headers: Record<string, string> = {}, method: 'GET' | 'HEAD' = 'GET'): Promise<LightMyRequestResponse> {
  return ctx.app.inject({ method, url, headers });
}

/** The headers a HEAD must share with its GET: all but the per-response ones. */
function comparable(res: LightMyRequestResponse): Record<string, unknown> {
  const { date: _date, 'x-request-id': _id, connection: _connection, ...rest } = res.headers;
  return rest;
}

/** The stored objects of the movie's current poster, by variant name (full.jpg, w160.webp, ...), with their key and date. */
async function storedPoster(ctx: TestContext, movieId: number): Promise<Map<string, StoredObject>> {
  const out = new Map<string, StoredObject>();
  for await (const object of ctx.app.store.list(`movies/${movieId}/`)) {
    const [, , prefix, name] = object.key.split('/');
    assert.match(prefix!, /^poster-[0-9a-f]+$/);
    out.set(name!, object);
  }
  return out;
}

/** A JPEG whose left half is red and right half blue, stored sideways with EXIF Orientation 6 (turn 90° clockwise to view). */
async function sidewaysJpeg(): Promise<Buffer> {
  const red = await sharp({ create: { width: 150, height: 200, channels: 3, background: '#ff0000' } }).png().toBuffer();
  return sharp({ create: { width: 300, height: 200, channels: 3, background: '#0000ff' } })
    .composite([{ input: red, left: 0, top: 0 }])
    .withMetadata({ orientation: 6 })
    .jpeg()
    .toBuffer();
}

async function pixel(image: Buffer, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * info.channels;
  return Array.from(data.subarray(at, at + 3));
}

// ---------------------------------------------------------------------------------------------

describe('posters are processed once, at upload', () => {
  let ctx: TestContext;
  let admin: string;
  let large: number; // a 1200 x 1800 poster
  let small: number; // poster.jpg, 600 x 900

  before(async () => {
    ctx = await startApp();
    admin = await adminToken(ctx);
    large = (await createMovie(ctx.app, admin, { title: 'Cartel grande' })).id;
    small = (await createMovie(ctx.app, admin, { title: 'Cartel pequeño' })).id;
    const big = await sharp(POSTER_JPG).resize(1200, 1800).jpeg({ quality: 90 }).toBuffer();
    const res = await uploadMedia(ctx.app, large, 'poster', big, { token: admin, as: 'image/jpeg' });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json<{ width: number }>().width, 1200);
    assert.equal((await uploadMedia(ctx.app, small, 'poster', POSTER_JPG, { token: admin })).statusCode, 201);
  });
  after(async () => ctx.close());

  it('stores every copy at upload (full size and 160, 320, 640 wide, as JPEG and WebP) and serves those stored bytes', async () => {
    const stored = await storedPoster(ctx, large);
    assert.deepEqual([...stored.keys()].sort(), POSTER_VARIANTS);
    const mtimes = new Map([...stored].map(([name, object]) => [name, object.modified.getTime()]));
    for (const w of [undefined, ...WIDTHS]) {
      for (const [accept, ext] of [
        ['image/webp', 'webp'],
        ['image/jpeg', 'jpg'],
      ] as const) {
        const res = await get(ctx, `${mediaUrl(large, 'poster')}${w === undefined ? '' : `?w=${w}`}`, { accept });
        assert.equal(res.statusCode, 200);
        const name = `${w === undefined ? 'full' : `w${w}`}.${ext}`;
        assert.ok(res.rawPayload.equals(await storedBytes(ctx.app.store, stored.get(name)!.key)), `GET serves the stored ${name}`);
        assert.equal(res.headers['content-length'], String(stored.get(name)!.size));
      }
    }
    // Serving made nothing new and rewrote nothing.
    const afterGets = await storedPoster(ctx, large);
    assert.deepEqual([...afterGets.keys()].sort(), POSTER_VARIANTS);
    for (const [name, object] of afterGets) assert.equal(object.modified.getTime(), mtimes.get(name));
  });

  it('answers ?w=160, 320 and 640 with a JPEG of exactly that width (aspect kept), and the full size without w', async () => {
    for (const w of WIDTHS) {
      const res = await get(ctx, `${mediaUrl(large, 'poster')}?w=${w}`);
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-type'], 'image/jpeg');
      const meta = await sharp(res.rawPayload).metadata();
      assert.equal(meta.format, 'jpeg');
      assert.equal(meta.width, w);
      assert.equal(meta.height, w * 1.5);
    }
    const full = await get(ctx, mediaUrl(large, 'poster'));
    const meta = await sharp(full.rawPayload).metadata();
    assert.equal(meta.format, 'jpeg');
    assert.equal(meta.width, 1200);
    assert.equal(meta.height, 1800);
  });

  it('never enlarges: a 600-wide poster asked at w=640 comes at its own 600, smaller widths exactly', async () => {
    const w640 = await sharp((await get(ctx, `${mediaUrl(small, 'poster')}?w=640`)).rawPayload).metadata();
    assert.equal(w640.width, 600);
    assert.equal(w640.height, 900);
    for (const w of [160, 320]) {
      const meta = await sharp((await get(ctx, `${mediaUrl(small, 'poster')}?w=${w}`)).rawPayload).metadata();
      assert.equal(meta.width, w);
    }
  });

  it('serves WebP (with Vary: Accept) to clients whose Accept allows it, JPEG otherwise', async () => {
    const cases: [string | undefined, 'webp' | 'jpeg'][] = [
      ['image/webp', 'webp'],
      ['image/avif,image/webp,image/apng,*/*;q=0.8', 'webp'],
      ['image/*', 'webp'],
      ['image/webp;q=0, image/jpeg', 'jpeg'],
      ['image/jpeg', 'jpeg'],
      ['*/*', 'jpeg'],
      [undefined, 'jpeg'],
    ];
    const etags: Record<string, string> = {};
    for (const [accept, format] of cases) {
      for (const w of [undefined, 320]) {
        const url = `${mediaUrl(large, 'poster')}${w === undefined ? '' : `?w=${w}`}`;
        const res = await get(ctx, url, accept === undefined ? {} : { accept });
        assert.equal(res.statusCode, 200);
        assert.match(String(res.headers.vary), /\bAccept\b/i, `Vary on ${accept}`);
        assert.equal(res.headers['content-type'], `image/${format}`, `Accept: ${accept}`);
        assert.ok(format === 'webp' ? isWebp(res.rawPayload) : isJpeg(res.rawPayload), `${format} bytes for Accept: ${accept}`);
        const meta = await sharp(res.rawPayload).metadata();
        assert.equal(meta.format, format);
        assert.equal(meta.width, w ?? 1200);
        etags[`${format}-${w}`] = String(res.headers.etag);
      }
    }
    // Each copy has its own validator, so a cache never answers a WebP request with the JPEG.
    assert.equal(new Set(Object.values(etags)).size, 4);
  });

  it('answers 422 at ["query","w"] for any other width', async () => {
    for (const w of ['100', 'abc', '0', '-160', '161', '160.5', '1200']) {
      const res = await get(ctx, `${mediaUrl(large, 'poster')}?w=${w}`);
      assertInvalid(res, [['query', 'w']]);
    }
  });

  it('strips EXIF (GPS, camera) from every stored and served copy', async () => {
    const movie = await createMovie(ctx.app, admin, { title: 'Con GPS' });
    const withGps = await sharp(POSTER_JPG)
      .withExif({
        IFD0: { Make: 'SpyCam', Model: 'Tracker 3000', Copyright: 'Secret Owner' },
        IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '40/1 25/1 1234/100', GPSLongitudeRef: 'W', GPSLongitude: '3/1 42/1 2/1' },
      })
      .jpeg()
      .toBuffer();
    const sent = await sharp(withGps).metadata();
    assert.ok(sent.exif !== undefined && sent.exif.includes('SpyCam'), 'the test image must carry EXIF');
    const res = await uploadMedia(ctx.app, movie.id, 'poster', withGps, { token: admin, as: 'multipart', filename: 'gps.jpg' });
    assert.equal(res.statusCode, 201, res.body);

    for (const object of (await storedPoster(ctx, movie.id)).values()) {
      const bytes = await storedBytes(ctx.app.store, object.key);
      assert.equal((await sharp(bytes).metadata()).exif, undefined, `EXIF stored in ${object.key}`);
      assert.ok(!bytes.includes('SpyCam') && !bytes.includes('Secret Owner'), `EXIF text in ${object.key}`);
    }
    for (const w of [undefined, ...WIDTHS]) {
      for (const accept of ['image/webp', 'image/jpeg']) {
        const served = await get(ctx, `${mediaUrl(movie.id, 'poster')}${w === undefined ? '' : `?w=${w}`}`, { accept });
        assert.equal(served.statusCode, 200);
        const meta = await sharp(served.rawPayload).metadata();
        assert.equal(meta.exif, undefined, `EXIF served at w=${w} for ${accept}`);
        assert.ok(!served.rawPayload.includes('SpyCam') && !served.rawPayload.includes('Tracker 3000'));
      }
    }
  });

  it('turns an image with EXIF Orientation 6 upright: width and height swapped, its left side on top', async () => {
    const movie = await createMovie(ctx.app, admin, { title: 'De lado' });
    const sideways = await sidewaysJpeg();
    const sent = await sharp(sideways).metadata();
    assert.equal(sent.orientation, 6);
    assert.equal(sent.width, 300);
    assert.equal(sent.height, 200);

    const res = await uploadMedia(ctx.app, movie.id, 'poster', sideways, { token: admin, as: 'image/jpeg' });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json<{ width: number }>().width, 200);
    assert.equal(res.json<{ height: number }>().height, 300);

    for (const accept of ['image/jpeg', 'image/webp']) {
      const full = await get(ctx, mediaUrl(movie.id, 'poster'), { accept });
      const meta = await sharp(full.rawPayload).metadata();
      assert.equal(meta.width, 200);
      assert.equal(meta.height, 300);
      assert.ok(meta.orientation === undefined || meta.orientation === 1, `orientation ${meta.orientation} left in ${accept}`);
      const [tr, tg, tb] = await pixel(full.rawPayload, 100, 30);
      const [br, bg, bb] = await pixel(full.rawPayload, 100, 270);
      assert.ok(tr! > 200 && tg! < 60 && tb! < 60, `top should be red, got ${[tr, tg, tb]}`);
      assert.ok(br! < 60 && bg! < 60 && bb! > 200, `bottom should be blue, got ${[br, bg, bb]}`);
    }
    const w160 = await sharp((await get(ctx, `${mediaUrl(movie.id, 'poster')}?w=160`)).rawPayload).metadata();
    assert.equal(w160.width, 160);
    assert.equal(w160.height, 240);
  });
});

describe('serving files: validators, ranges, conditional requests, HEAD, caching', () => {
  let ctx: TestContext;
  let admin: string;
  let port: number;
  let movieId: number;
  let trailerUrl: string; // the versioned URL from the Movie
  let posterUrl: string;

  before(async () => {
    ctx = await startApp();
    admin = await adminToken(ctx);
    port = await listenOnLoopback(ctx);
    movieId = (await createMovie(ctx.app, admin, { title: 'El sur', year: 1983 })).id;
    assert.equal((await uploadMedia(ctx.app, movieId, 'trailer', TRAILER_MP4, { token: admin, as: 'video/mp4' })).statusCode, 201);
    assert.equal((await uploadMedia(ctx.app, movieId, 'poster', POSTER_JPG, { token: admin })).statusCode, 201);
    const movie = (await get(ctx, `/api/v1/movies/${movieId}`)).json<{ trailer_url: string; poster_url: string }>();
    trailerUrl = movie.trailer_url;
    posterUrl = movie.poster_url;
  });
  after(async () => ctx.close());

  it('answers 200 with Content-Type, Content-Length, ETag, Last-Modified, Accept-Ranges and the exact bytes', async () => {
    const res = await get(ctx, mediaUrl(movieId, 'trailer'));
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'video/mp4');
    assert.equal(res.headers['content-length'], String(SIZE));
    assert.match(String(res.headers.etag), /^"[^"]+"$/);
    assert.equal(res.headers['accept-ranges'], 'bytes');
    const lastModified = Date.parse(String(res.headers['last-modified']));
    assert.ok(Number.isFinite(lastModified));
    assert.ok(Math.abs(lastModified - Date.now()) < 60_000);
    assert.ok(res.rawPayload.equals(TRAILER_MP4));

    const poster = await get(ctx, mediaUrl(movieId, 'poster'));
    assert.equal(poster.statusCode, 200);
    assert.equal(poster.headers['content-type'], 'image/jpeg');
    assert.equal(poster.headers['content-length'], String(poster.rawPayload.length));
    assert.match(String(poster.headers.etag), /^"[^"]+"$/);
    assert.ok(Number.isFinite(Date.parse(String(poster.headers['last-modified']))));
    assert.equal(poster.headers['accept-ranges'], 'bytes');
  });

  it('answers a Range with 206, Content-Range and exactly those bytes', async () => {
    const cases: [string, number, number][] = [
      ['bytes=0-99', 0, 99],
      ['bytes=1000-1999', 1000, 1999],
      ['bytes=-500', SIZE - 500, SIZE - 1],
      ['bytes=1000-', 1000, SIZE - 1],
      ['bytes=0-0', 0, 0],
      [`bytes=${SIZE - 1}-`, SIZE - 1, SIZE - 1],
      [`bytes=${SIZE - 10}-${SIZE + 5000}`, SIZE - 10, SIZE - 1], // an end past the file is cut at its last byte
    ];
    const etag = (await get(ctx, mediaUrl(movieId, 'trailer'))).headers.etag;
    for (const [range, start, end] of cases) {
      const res = await get(ctx, mediaUrl(movieId, 'trailer'), { range });
      assert.equal(res.statusCode, 206, range);
      assert.equal(res.headers['content-range'], `bytes ${start}-${end}/${SIZE}`, range);
      assert.equal(res.headers['content-length'], String(end - start + 1), range);
      assert.equal(res.headers['content-type'], 'video/mp4');
      assert.equal(res.headers['accept-ranges'], 'bytes');
      assert.equal(res.headers.etag, etag);
      assert.ok(res.rawPayload.equals(TRAILER_MP4.subarray(start, end + 1)), `bytes of ${range}`);
    }
    // The poster honours Range as well.
    const poster = await get(ctx, mediaUrl(movieId, 'poster'));
    const part = await get(ctx, mediaUrl(movieId, 'poster'), { range: 'bytes=10-29' });
    assert.equal(part.statusCode, 206);
    assert.equal(part.headers['content-range'], `bytes 10-29/${poster.rawPayload.length}`);
    assert.ok(part.rawPayload.equals(poster.rawPayload.subarray(10, 30)));
  });

  it('answers 416 with Content-Range: bytes */SIZE to a range it cannot satisfy, and ignores a malformed one', async () => {
    for (const range of ['bytes=999999-', `bytes=${SIZE}-`, `bytes=${SIZE + 10}-${SIZE + 20}`]) {
      const res = await get(ctx, mediaUrl(movieId, 'trailer'), { range });
      assert.equal(res.statusCode, 416, range);
      assert.equal(res.headers['content-range'], `bytes */${SIZE}`);
      assert.equal(res.headers['content-type'], 'application/json');
      assert.equal(typeof res.json<{ detail: string }>().detail, 'string');
      // An error is not the file: no validators, and nothing a cache could keep as the file.
      assert.equal(res.headers.etag, undefined);
      assert.equal(res.headers['last-modified'], undefined);
      assert.equal(res.headers['cache-control'], 'no-store');
    }
    const versioned = await get(ctx, trailerUrl, { range: 'bytes=999999-' });
    assert.equal(versioned.statusCode, 416);
    assert.equal(versioned.headers['cache-control'], 'no-store');
    for (const url of [mediaUrl(movieId, 'poster'), `${mediaUrl(movieId, 'poster')}?w=160`]) {
      const size = (await get(ctx, url)).rawPayload.length;
      const res = await get(ctx, url, { range: `bytes=${size}-` });
      assert.equal(res.statusCode, 416, url);
      assert.equal(res.headers['content-range'], `bytes */${size}`);
      assert.equal(typeof res.json<{ detail: string }>().detail, 'string');
    }
    // A backwards range is not a range (RFC 9110 §14.1.1): ignored, the whole file.
    for (const range of ['items=0-5', 'bytes=abc', 'bytes=5-2']) {
      const res = await get(ctx, mediaUrl(movieId, 'trailer'), { range });
      assert.equal(res.statusCode, 200, range);
      assert.equal(res.headers['content-length'], String(SIZE));
      assert.ok(res.rawPayload.equals(TRAILER_MP4));
    }
  });

  it('honours If-Range: the current ETag or Last-Modified gives 206, an old or weak ETag the whole new file', async () => {
    const movie = await createMovie(ctx.app, admin, { title: 'Si-Rango' });
    assert.equal((await uploadMedia(ctx.app, movie.id, 'trailer', TRAILER_MP4, { token: admin })).statusCode, 201);
    const first = await get(ctx, mediaUrl(movie.id, 'trailer'));
    const oldEtag = String(first.headers.etag);

    const current = await get(ctx, mediaUrl(movie.id, 'trailer'), { range: 'bytes=0-99', 'if-range': oldEtag });
    assert.equal(current.statusCode, 206);
    assert.ok(current.rawPayload.equals(TRAILER_MP4.subarray(0, 100)));
    const byDate = await get(ctx, mediaUrl(movie.id, 'trailer'), { range: 'bytes=0-99', 'if-range': String(first.headers['last-modified']) });
    assert.equal(byDate.statusCode, 206);
    const weak = await get(ctx, mediaUrl(movie.id, 'trailer'), { range: 'bytes=0-99', 'if-range': `W/${oldEtag}` });
    assert.equal(weak.statusCode, 200);
    assert.equal(weak.rawPayload.length, SIZE);

    // The file changes; a client resuming the old one gets the whole new file instead of a mix.
    assert.equal((await uploadMedia(ctx.app, movie.id, 'trailer', TRAILER_WEBM, { token: admin, method: 'PUT' })).statusCode, 200);
    const stale = await get(ctx, mediaUrl(movie.id, 'trailer'), { range: 'bytes=1000-1999', 'if-range': oldEtag });
    assert.equal(stale.statusCode, 200);
    assert.equal(stale.headers['content-range'], undefined);
    assert.equal(stale.headers['content-length'], String(TRAILER_WEBM.length));
    assert.ok(stale.rawPayload.equals(TRAILER_WEBM));
    assert.notEqual(stale.headers.etag, oldEtag);
  });

  it('answers 304 with an empty body to a matching If-None-Match or an If-Modified-Since at or after Last-Modified', async () => {
    for (const [kind, url] of [
      ['trailer', mediaUrl(movieId, 'trailer')],
      ['poster', mediaUrl(movieId, 'poster')],
      ['poster w320', `${mediaUrl(movieId, 'poster')}?w=320`],
    ] as const) {
      const first = await get(ctx, url);
      const etag = String(first.headers.etag);
      const lastModified = String(first.headers['last-modified']);
      const later = new Date(Date.parse(lastModified) + 3600_000).toUTCString();
      const earlier = new Date(Date.parse(lastModified) - 3600_000).toUTCString();

      const fresh: Record<string, string>[] = [
        { 'if-none-match': etag },
        { 'if-none-match': `"nope", ${etag}` },
        { 'if-modified-since': lastModified },
        { 'if-modified-since': later },
      ];
      for (const headers of fresh) {
        const res = await get(ctx, url, headers);
        assert.equal(res.statusCode, 304, `${kind} ${JSON.stringify(headers)}`);
        assert.equal(res.body, '');
        assert.equal(res.headers.etag, etag);
      }
      const stale: Record<string, string>[] = [{ 'if-none-match': '"something-else"' }, { 'if-modified-since': earlier }];
      for (const headers of stale) {
        const res = await get(ctx, url, headers);
        assert.equal(res.statusCode, 200, `${kind} ${JSON.stringify(headers)}`);
        assert.ok(res.rawPayload.equals(first.rawPayload));
      }
    }
  });

  it('answers HEAD with the headers of the GET (Content-Length of the file, not 0) and no body, also for a Range', async () => {
    for (const [url, headers] of [
      [mediaUrl(movieId, 'trailer'), {}],
      [mediaUrl(movieId, 'trailer'), { range: 'bytes=0-99' }],
      [mediaUrl(movieId, 'trailer'), { range: 'bytes=-500' }],
      [trailerUrl, {}],
      [mediaUrl(movieId, 'poster'), {}],
      [`${mediaUrl(movieId, 'poster')}?w=160`, { accept: 'image/webp' }],
    ] as const) {
      const getRes = await get(ctx, url, headers);
      const headRes = await get(ctx, url, headers, 'HEAD');
      assert.equal(headRes.statusCode, getRes.statusCode, `${url} ${JSON.stringify(headers)}`);
      assert.deepEqual(comparable(headRes), comparable(getRes), `${url} ${JSON.stringify(headers)}`);
      assert.equal(headRes.body, '');
      assert.notEqual(headRes.headers['content-length'], '0');
    }
    // And on the wire: the declared length, and not a byte of body.
    const head = await wireFetch(port, 'HEAD', mediaUrl(movieId, 'trailer'));
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(SIZE));
    assert.equal(head.body.length, 0);
    const headRange = await wireFetch(port, 'HEAD', mediaUrl(movieId, 'trailer'), { range: 'bytes=1000-1999' });
    assert.equal(headRange.status, 206);
    assert.equal(headRange.headers['content-length'], '1000');
    assert.equal(headRange.headers['content-range'], `bytes 1000-1999/${SIZE}`);
    assert.equal(headRange.body.length, 0);
    // The server answers the next request normally.
    const after = await wireFetch(port, 'GET', mediaUrl(movieId, 'trailer'), { range: 'bytes=0-99' });
    assert.equal(after.status, 206);
    assert.ok(after.body.equals(TRAILER_MP4.subarray(0, 100)));
  });

  it('serves versioned URLs (?v= of the current content) as immutable, anything else as no-cache', async () => {
    assert.match(trailerUrl, /\?v=[0-9a-f]+$/);
    assert.match(posterUrl, /\?v=[0-9a-f]+$/);
    for (const url of [trailerUrl, posterUrl, `${posterUrl}&w=160`]) {
      const res = await get(ctx, url);
      assert.equal(res.statusCode, 200, url);
      assert.equal(res.headers['cache-control'], IMMUTABLE, url);
      const part = await get(ctx, url, { range: 'bytes=0-9' });
      assert.equal(part.headers['cache-control'], IMMUTABLE, `${url} (206)`);
    }
    for (const url of [mediaUrl(movieId, 'trailer'), mediaUrl(movieId, 'poster'), `${mediaUrl(movieId, 'trailer')}?v=0123456789abcdef`, `${mediaUrl(movieId, 'poster')}?w=320`]) {
      const res = await get(ctx, url);
      assert.equal(res.statusCode, 200, url);
      assert.equal(res.headers['cache-control'], 'no-cache', url);
    }
    // Once replaced, the old version's URL is no longer cacheable forever (it now serves other bytes).
    const movie = await createMovie(ctx.app, admin, { title: 'Versión vieja' });
    const v1 = (await uploadMedia(ctx.app, movie.id, 'trailer', TRAILER_MP4, { token: admin })).json<{ url: string }>().url;
    assert.equal((await get(ctx, v1)).headers['cache-control'], IMMUTABLE);
    const v2 = (await uploadMedia(ctx.app, movie.id, 'trailer', TRAILER_WEBM, { token: admin, method: 'PUT' })).json<{ url: string }>().url;
    assert.notEqual(v2, v1);
    assert.equal((await get(ctx, v1)).headers['cache-control'], 'no-cache');
    assert.equal((await get(ctx, v2)).headers['cache-control'], IMMUTABLE);
  });
});

describe('the OpenAPI document declares the media routes', () => {
  let ctx: TestContext;

  before(async () => {
    ctx = await startApp();
  });
  after(async () => ctx.close());

  interface Operation {
    tags?: string[];
    security?: unknown[];
    requestBody?: { content: Record<string, { schema: { type?: string; format?: string; required?: string[]; properties?: Record<string, unknown> } }> };
    responses: Record<string, unknown>;
  }

  it('lists GET, POST, PUT and DELETE on /poster and /trailer, uploads as multipart `file` (binary) or raw, and 206/304/416 on GET', async () => {
    const res = await get(ctx, '/openapi.json');
    assert.equal(res.statusCode, 200);
    const doc = res.json<{ paths: Record<string, Record<string, Operation>> }>();
    for (const [kind, rawTypes] of [
      ['poster', ['image/jpeg', 'image/png', 'image/webp']],
      ['trailer', ['video/mp4', 'video/webm']],
    ] as const) {
      const item = doc.paths[`/api/v1/movies/{id}/${kind}`];
      assert.ok(item, `path for ${kind}`);
      for (const method of ['get', 'post', 'put', 'delete']) assert.ok(item[method], `${method} ${kind}`);
      for (const method of ['post', 'put']) {
        const op: Operation = item[method]!;
        const content: NonNullable<Operation['requestBody']>['content'] = op.requestBody?.content ?? {};
        const form = content['multipart/form-data']?.schema;
        assert.ok(form, `${method} ${kind} takes multipart/form-data`);
        assert.deepEqual(form.properties?.file, { type: 'string', format: 'binary' });
        assert.ok(form.required?.includes('file'));
        for (const type of rawTypes) assert.deepEqual(content[type]?.schema, { type: 'string', format: 'binary' }, `${method} ${kind} ${type}`);
        for (const status of ['401', '403', '404', '413', '415', '422']) assert.ok(op.responses[status], `${method} ${kind} documents ${status}`);
        assert.ok(op.security && op.security.length > 0, `${method} ${kind} needs credentials`);
      }
      assert.ok(item.post!.responses['201'] && item.post!.responses['409']);
      assert.ok(item.put!.responses['200'] && item.put!.responses['201']);
      assert.ok(item.delete!.responses['204']);
      for (const status of ['200', '206', '304', '404', '416']) assert.ok(item.get!.responses[status], `GET ${kind} documents ${status}`);
    }
    // Requests are served as documented: a poster Range does answer 206.
    const admin = await adminToken(ctx);
    const movie = await createMovie(ctx.app, admin, { title: 'Documentado' });
    assert.equal((await uploadMedia(ctx.app, movie.id, 'poster', POSTER_JPG, { token: admin })).statusCode, 201);
    assert.equal((await get(ctx, mediaUrl(movie.id, 'poster'), { range: 'bytes=0-9', ...bearer(admin) })).statusCode, 206);
  });
});
