import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { S3Client } from '@aws-sdk/client-s3';
import { ConfigError, loadConfig } from '../src/config.js';
import { S3Store } from '../src/storage/s3-store.js';
import { MissingObjectError, StoreUnavailableError } from '../src/storage/store.js';
import { TEST_BUCKET, TEST_CREDENTIALS, type TestS3Server, startS3Server, testS3Client } from './support/s3.js';
import { adminToken, createMovie, mediaFixture, startApp, storedBytes, uploadMedia } from './support/app.js';

const MiB = 1024 * 1024;
/** The smallest part S3 (and lib-storage) allows; a test part size keeps multipart bodies small. */
const PART = 5 * MiB;

/** A stream of `data` in uneven chunks, so parts never line up with chunks. */
function chunked(data: Buffer, chunk = 777_777): Readable {
  return Readable.from(
    (function* () {
      for (let at = 0; at < data.length; at += chunk) yield data.subarray(at, Math.min(at + chunk, data.length));
    })(),
  );
}

describe('S3Store against an S3-compatible server (s3rver)', () => {
  let server: TestS3Server;
  let client: S3Client;
  let store: S3Store;

  before(async () => {
    server = await startS3Server();
    client = testS3Client(server.endpoint);
    store = new S3Store(client, { bucket: TEST_BUCKET, prefix: `store-${randomBytes(4).toString('hex')}`, partSize: PART, queueSize: 2 });
  });
  after(async () => {
    client.destroy();
    await server.stop();
  });

  it('streams a body of more than two parts through a multipart upload and stores it byte-exact', async () => {
    const data = randomBytes(2 * PART + 123_457); // three parts, the last short
    let parts = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'UploadPartCommand') parts += 1;
        return next(args);
      },
      { step: 'initialize', name: 'countParts' },
    );
    try {
      assert.deepEqual(await store.put('movies/1/trailer-a/video', chunked(data)), { size: data.length });
    } finally {
      client.middlewareStack.remove('countParts');
    }
    assert.equal(parts, 3, 'uploaded as three parts');
    assert.ok((await storedBytes(store, 'movies/1/trailer-a/video')).equals(data));
    const stat = await store.stat('movies/1/trailer-a/video');
    assert.equal(stat?.size, data.length);
    assert.ok(stat && Math.abs(stat.modified.getTime() - Date.now()) < 60_000);
  });

  it('a ranged get returns exactly those bytes, across a part boundary, asked of the store as a Range', async () => {
    const data = randomBytes(PART + 1000);
    await store.put('movies/2/trailer-b/video', chunked(data));
    const ranges: (string | undefined)[] = [];
    client.middlewareStack.add(
      (next) => async (args) => {
        ranges.push((args.input as { Range?: string }).Range);
        return next(args);
      },
      { step: 'initialize', name: 'seeRanges' },
    );
    try {
      for (const [start, end] of [
        [0, 0], // s3rver sends the whole object for this one: the store must still give one byte
        [PART - 10, PART + 9],
        [data.length - 1, data.length - 1],
        [17, 4242],
      ] as const) {
        const stream = await store.get('movies/2/trailer-b/video', { start, end });
        const chunks: Buffer[] = [];
        for await (const chunk of stream) chunks.push(chunk as Buffer);
        assert.ok(Buffer.concat(chunks).equals(data.subarray(start, end + 1)), `bytes ${start}-${end}`);
      }
    } finally {
      client.middlewareStack.remove('seeRanges');
    }
    assert.deepEqual(ranges, ['bytes=0-0', `bytes=${PART - 10}-${PART + 9}`, `bytes=${data.length - 1}-${data.length - 1}`, 'bytes=17-4242']);
  });

  it('a body that fails mid-way (small or past the first part) leaves no object, and put rejects with its error', async () => {
    for (const size of [1000, PART + 1000]) {
      const key = `movies/3/trailer-${size}/video`;
      const failing = new Readable({ read() {} });
      failing.push(randomBytes(size));
      setTimeout(() => failing.destroy(new Error('client went away')), 30);
      await assert.rejects(store.put(key, failing), /client went away/);
      assert.equal(await store.stat(key), undefined);
      assert.deepEqual(store.writesInProgress(), []);
    }
    // A body cut without an error is not a complete object either.
    const cut = new Readable({ read() {} });
    cut.push(randomBytes(1000));
    setTimeout(() => cut.destroy(), 30);
    await assert.rejects(store.put('movies/3/trailer-cut/video', cut));
    assert.equal(await store.stat('movies/3/trailer-cut/video'), undefined);
  });

  it('lists under a prefix across pages, deletes, and reports a missing key as MissingObjectError', async () => {
    const keys = Array.from({ length: 5 }, (_, i) => `movies/4/poster-c/w${i}.jpg`);
    for (const key of keys) await store.put(key, Readable.from([Buffer.from(key)]));
    await store.put('movies/40/poster-d/full.jpg', Readable.from([Buffer.from('other movie')]));
    // Pages of two: the store must follow the continuation token. s3rver makes its tokens with
    // DES, which Node's OpenSSL 3 refuses (a 500 for any truncated listing), so this middleware
    // pages its complete answers instead: two keys each, the token being the last key given.
    const listed: string[] = [];
    let pages = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'ListObjectsV2Command') return next(args);
        const input = args.input as { ContinuationToken?: string; StartAfter?: string };
        const token = input.ContinuationToken;
        delete input.ContinuationToken;
        if (token !== undefined) input.StartAfter = token;
        const result = await next(args);
        const output = result.output as { Contents?: { Key?: string }[]; IsTruncated?: boolean; NextContinuationToken?: string };
        pages += 1;
        if ((output.Contents?.length ?? 0) > 2) {
          output.Contents = output.Contents!.slice(0, 2);
          output.IsTruncated = true;
          output.NextContinuationToken = output.Contents[1]!.Key;
        }
        return result;
      },
      { step: 'initialize', name: 'smallPages' },
    );
    try {
      for await (const object of store.list('movies/4/')) listed.push(object.key);
    } finally {
      client.middlewareStack.remove('smallPages');
    }
    assert.equal(pages, 3);
    assert.deepEqual(listed.sort(), keys);
    await store.delete(keys[0]!);
    await store.delete(keys[0]!); // deleting a missing object is not an error
    assert.equal(await store.stat(keys[0]!), undefined);
    await assert.rejects(store.get(keys[0]!), MissingObjectError);
    await assert.rejects(store.get(keys[0]!, { start: 0, end: 1 }), MissingObjectError);
  });

  it('keys live under the configured prefix only; unsafe keys are refused', async () => {
    const other = new S3Store(client, { bucket: TEST_BUCKET, prefix: 'somewhere-else' });
    assert.deepEqual(await collect(other.list('movies/')), []);
    await assert.rejects(store.put('../escape', Readable.from([Buffer.from('x')])), /unsafe storage key/);
    await assert.rejects(store.get('movies/../../x'), /unsafe storage key/);
    await assert.rejects(store.stat('.hidden'), /unsafe storage key/);
    await assert.rejects(store.delete('movies//x'), /unsafe storage key/);
  });

  it('removeIncomplete answers 0 when the server cannot list multipart uploads (s3rver: NotImplemented)', async () => {
    assert.equal(await store.removeIncomplete(new Date()), 0);
  });

  it('a refused access key is StoreUnavailableError (503), not a missing object', async () => {
    const denied = new S3Store(
      new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'NOPE', secretAccessKey: 'NOPE' } }),
      { bucket: TEST_BUCKET, prefix: '' },
    );
    const err = await denied.get('movies/1/trailer-a/video').catch((e: unknown) => e);
    assert.ok(err instanceof StoreUnavailableError, String(err));
    assert.equal(err.code, 'media_store_unavailable'); // answered 503 (src/http/problems.ts)
    await assert.rejects(denied.put('movies/9/x/video', Readable.from([Buffer.from('x')])), StoreUnavailableError);
  });
});

async function collect(objects: AsyncIterable<{ key: string }>): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of objects) keys.push(object.key);
  return keys;
}

describe('a media store that is down answers 503 with a JSON detail', () => {
  it('upload and download, with the store gone, give 503 {"detail"} and no stack trace', async () => {
    const server = await startS3Server();
    // Credentials reach the SDK's default chain from the environment, as in production.
    process.env.AWS_ACCESS_KEY_ID ??= TEST_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY ??= TEST_CREDENTIALS.secretAccessKey;
    const ctx = await startApp({ MEDIA_STORE: `s3://${TEST_BUCKET}/down`, AWS_ENDPOINT_URL_S3: server.endpoint, AWS_S3_FORCE_PATH_STYLE: 'true' });
    try {
      const admin = await adminToken(ctx);
      const movie = await createMovie(ctx.app, admin, { title: 'Sin almacén' });
      const trailer = mediaFixture('trailer.mp4');
      assert.equal((await uploadMedia(ctx.app, movie.id, 'trailer', trailer, { token: admin })).statusCode, 201);
      await server.stop();
      for (const res of [
        await ctx.app.inject({ method: 'GET', url: `/api/v1/movies/${movie.id}/trailer` }),
        await ctx.app.inject({ method: 'GET', url: `/api/v1/movies/${movie.id}/trailer`, headers: { range: 'bytes=0-9' } }),
        await uploadMedia(ctx.app, movie.id, 'trailer', trailer, { token: admin, method: 'PUT' }),
      ]) {
        assert.equal(res.statusCode, 503, res.body);
        assert.deepEqual(res.json(), { detail: 'Media storage is unavailable', code: 'media_store_unavailable' });
      }
    } finally {
      await ctx.close();
    }
  });
});

describe('MEDIA_STORE=s3://… configuration', () => {
  const load = (env: Record<string, string>) => loadConfig({ DATA_DIR: '/tmp/butaca-config-test', ...env });
  const configError = (env: Record<string, string>, variable: string, pattern: RegExp): void => {
    assert.throws(
      () => load(env),
      (err: unknown) => err instanceof ConfigError && err.variable === variable && pattern.test(err.message) && !err.message.includes('\n'),
    );
  };

  it('takes the bucket, the prefix and the AWS variables', () => {
    assert.deepEqual(load({ MEDIA_STORE: 's3://media.example-1/butaca/prod/' }).mediaStore, {
      kind: 's3',
      bucket: 'media.example-1',
      prefix: 'butaca/prod',
      region: 'us-east-1',
      endpoint: undefined,
      forcePathStyle: false,
    });
    const full = load({
      MEDIA_STORE: 's3://bucket',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9000',
      AWS_ENDPOINT_URL_S3: 'https://s3.example.com',
      AWS_REGION: 'eu-west-3',
      AWS_S3_FORCE_PATH_STYLE: 'true',
    }).mediaStore;
    assert.deepEqual(full, { kind: 's3', bucket: 'bucket', prefix: '', region: 'eu-west-3', endpoint: 'https://s3.example.com', forcePathStyle: true });
    assert.equal((load({ MEDIA_STORE: 's3://bucket', AWS_ENDPOINT_URL: 'http://127.0.0.1:9000' }).mediaStore as { endpoint: string }).endpoint, 'http://127.0.0.1:9000');
  });

  it('refuses a bad bucket, prefix, endpoint, region or path-style flag in one line naming the variable', () => {
    for (const bad of ['s3://', 's3:bucket', 's3://ab', 's3://Upper', 's3://under_score', 's3://-dash', 's3://a..b', 's3://192.168.1.1', `s3://${'a'.repeat(64)}`]) {
      configError({ MEDIA_STORE: bad }, 'MEDIA_STORE', /bucket|s3:\/\//);
    }
    for (const bad of ['s3://bucket/a//b', 's3://bucket/../x', 's3://bucket/a b', 's3://bucket/%2e']) configError({ MEDIA_STORE: bad }, 'MEDIA_STORE', /prefix/);
    configError({ MEDIA_STORE: 'gs://bucket' }, 'MEDIA_STORE', /unsupported store "gs:"/);
    configError({ MEDIA_STORE: 's3://bucket', AWS_ENDPOINT_URL_S3: 'not a url' }, 'AWS_ENDPOINT_URL_S3', /not a URL/);
    configError({ MEDIA_STORE: 's3://bucket', AWS_ENDPOINT_URL: 'ftp://x' }, 'AWS_ENDPOINT_URL', /http/);
    configError({ MEDIA_STORE: 's3://bucket', AWS_ENDPOINT_URL_S3: 'http://key:secret@host' }, 'AWS_ENDPOINT_URL_S3', /credentials/);
    configError({ MEDIA_STORE: 's3://bucket', AWS_REGION: 'Europe West' }, 'AWS_REGION', /region/);
    configError({ MEDIA_STORE: 's3://bucket', AWS_S3_FORCE_PATH_STYLE: 'yes' }, 'AWS_S3_FORCE_PATH_STYLE', /true or false/);
  });

  it('never puts a secret in the error message', () => {
    try {
      load({ MEDIA_STORE: 's3://bucket', AWS_ENDPOINT_URL_S3: 'http://AKIAEXAMPLE:topsecret@host' });
      assert.fail('accepted credentials in the endpoint');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.ok(!err.message.includes('topsecret'), err.message);
    }
  });
});
