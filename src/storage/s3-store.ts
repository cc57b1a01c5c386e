import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { PassThrough, Readable, finished } from 'node:stream';
import type { S3StoreConfig } from '../config.js';
import { type ByteRange, type MediaStore, MissingObjectError, StoreUnavailableError, type StoredObject, assertSafeKey } from './store.js';

/**
 * 5 MiB parts (S3's minimum, except for the last), at most 2 in flight: lib-storage holds about
 * (2 + 2) parts at once whatever the object's size, so a 1 GiB upload raised the server's peak RSS
 * by 40-47 MiB against s3rver (8 MiB × 3 gave 96 MiB, with no gain in speed). 10,000 parts of 5 MiB
 * still allow 48 GiB per object.
 */
export const DEFAULT_PART_SIZE = 5 * 1024 * 1024;
export const DEFAULT_QUEUE_SIZE = 2;
/** How long a multipart upload may run before a sweep counts it as abandoned (see removeIncomplete). */
const UPLOAD_MAX_DURATION_MS = 24 * 3600 * 1000;

export interface S3StoreOptions {
  bucket: string;
  /** Prepended to every key, without a trailing "/" ('' for the bucket's root). */
  prefix: string;
  partSize?: number;
  queueSize?: number;
}

/** A client for the configured endpoint; credentials come from the SDK's default chain (AWS_ACCESS_KEY_ID, …). */
export function s3ClientFor(config: S3StoreConfig): S3Client {
  return new S3Client({
    region: config.region,
    forcePathStyle: config.forcePathStyle,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    // A store that does not answer fails the request in seconds instead of hanging it. No socket
    // idle timeout: a slow client reading a trailer legitimately leaves the store's socket idle.
    requestHandler: { connectionTimeout: 5000 },
  });
}

const statusOf = (err: unknown): number | undefined => (err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined);

const isMissing = (err: unknown): boolean =>
  err instanceof S3ServiceException && (err.name === 'NoSuchKey' || err.name === 'NotFound' || statusOf(err) === 404);

/**
 * Objects in an S3 bucket (or any S3-compatible store) under a key prefix. `put` streams through
 * a multipart upload, which S3 makes visible only once completed, so readers never see half an
 * object; ranges are asked of the store, never cut out of a whole download.
 */
export class S3Store implements MediaStore {
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly partSize: number;
  private readonly queueSize: number;
  private readonly writing = new Set<{ key: string; bytes: number }>();

  constructor(
    private readonly client: S3Client,
    options: S3StoreOptions,
  ) {
    this.bucket = options.bucket;
    this.prefix = options.prefix === '' ? '' : `${options.prefix}/`;
    this.partSize = options.partSize ?? DEFAULT_PART_SIZE;
    this.queueSize = options.queueSize ?? DEFAULT_QUEUE_SIZE;
  }

  private keyOf(key: string): string {
    assertSafeKey(key);
    return this.prefix + key;
  }

  async put(key: string, body: Readable): Promise<{ size: number }> {
    const Key = this.keyOf(key);
    const progress = { key, bytes: 0 };
    this.writing.add(progress);
    const counted = new PassThrough({
      transform(chunk: Buffer, _encoding, callback) {
        progress.bytes += chunk.length;
        callback(null, chunk);
      },
    });
    // pipe, not pipeline: a failing (or cut) body must fail the upload, which then aborts instead
    // of completing; but a failing upload must not destroy the body, whose owner still needs it.
    const stopWatching = finished(body, { writable: false }, (err) => {
      if (err) counted.destroy(err);
    });
    body.pipe(counted);
    try {
      const upload = new Upload({
        client: this.client,
        params: { Bucket: this.bucket, Key, Body: counted },
        partSize: this.partSize,
        queueSize: this.queueSize,
      });
      await upload.done();
      return { size: progress.bytes };
    } catch (err) {
      // The body's own failure (a client gone, a file refused) is the cause, not the store; it
      // reached `counted` only through the watcher above.
      const cause = body.errored ?? counted.errored;
      body.unpipe(counted);
      counted.destroy();
      if (cause) throw cause;
      throw unavailable(err);
    } finally {
      stopWatching();
      this.writing.delete(progress);
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const Key = this.keyOf(key);
    let res;
    try {
      res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key, ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }));
    } catch (err) {
      if (isMissing(err)) throw new MissingObjectError(key);
      throw unavailable(err);
    }
    if (!(res.Body instanceof Readable)) throw unavailable(new Error('GetObject answered without a body stream'));
    return range ? exactRange(res.Body, range, res.ContentRange) : res.Body;
  }

  async stat(key: string): Promise<StoredObject | undefined> {
    const Key = this.keyOf(key);
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }));
      return { key, size: res.ContentLength ?? 0, modified: res.LastModified ?? new Date(0) };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw unavailable(err);
    }
  }

  async delete(key: string): Promise<void> {
    const Key = this.keyOf(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }));
    } catch (err) {
      if (!isMissing(err)) throw unavailable(err);
    }
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    let ContinuationToken: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix + prefix, ...(ContinuationToken ? { ContinuationToken } : {}) }),
        );
      } catch (err) {
        throw unavailable(err);
      }
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined || !object.Key.startsWith(this.prefix)) continue;
        yield { key: object.Key.slice(this.prefix.length), size: object.Size ?? 0, modified: object.LastModified ?? new Date(0) };
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  /**
   * Aborts multipart uploads under the prefix (a crash mid-upload leaves their parts stored and
   * billed). S3 tells when an upload started, not when it last received a part, and a slow client
   * may take hours over a 1 GiB trailer while another instance sweeps: only uploads started a
   * day before `idleSince` are taken. A store that cannot list uploads (s3rver answers
   * NotImplemented) has nothing this can clean: 0, not a failed start.
   */
  async removeIncomplete(idleSince: Date): Promise<number> {
    const olderThan = new Date(idleSince.getTime() - UPLOAD_MAX_DURATION_MS);
    let removed = 0;
    let KeyMarker: string | undefined;
    let UploadIdMarker: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListMultipartUploadsCommand({
            Bucket: this.bucket,
            ...(this.prefix ? { Prefix: this.prefix } : {}),
            ...(KeyMarker ? { KeyMarker } : {}),
            ...(UploadIdMarker ? { UploadIdMarker } : {}),
          }),
        );
      } catch (err) {
        if (err instanceof S3ServiceException && (err.name === 'NotImplemented' || statusOf(err) === 501)) return removed;
        throw unavailable(err);
      }
      for (const upload of page.Uploads ?? []) {
        if (!upload.Key || !upload.UploadId || !upload.Initiated || upload.Initiated >= olderThan) continue;
        try {
          await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: upload.Key, UploadId: upload.UploadId }));
          removed += 1;
        } catch (err) {
          // Completed or aborted by someone else meanwhile: already gone.
          if (!(err instanceof S3ServiceException && err.name === 'NoSuchUpload')) throw unavailable(err);
        }
      }
      KeyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      UploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
    } while (KeyMarker);
    return removed;
  }

  /**
   * The writes this instance has under way and the bytes each has taken in so far. Unlike a file
   * store's temporary files they are invisible in the bucket until complete, hence this view.
   */
  writesInProgress(): { key: string; bytes: number }[] {
    return [...this.writing].map((w) => ({ ...w }));
  }

  /** Closes the client's pooled connections. */
  async close(): Promise<void> {
    this.client.destroy();
  }
}

/**
 * The bytes of `range` out of what the store sent. A compliant store sends just them; one that
 * sends more (s3rver answers `bytes=0-0` with the whole object; some ignore Range) is cut to
 * them, and the rest is never read: the response is then exactly what its Content-Length says.
 */
function exactRange(body: Readable, range: ByteRange, contentRange: string | undefined): Readable {
  const sent = /^bytes (\d+)-(\d+)\//.exec(contentRange ?? '');
  const from = sent ? Number(sent[1]) : 0;
  if (sent && from === range.start && Number(sent[2]) === range.end) return body;
  let skip = range.start - from;
  let left = range.end - range.start + 1;
  if (skip < 0) {
    body.destroy();
    throw unavailable(new Error(`asked for bytes ${range.start}-${range.end}, the store sent ${contentRange}`));
  }
  const cut = new PassThrough();
  const take = (chunk: Buffer): void => {
    const start = Math.min(skip, chunk.length);
    skip -= start;
    const piece = chunk.subarray(start, start + left);
    left -= piece.length;
    if (piece.length > 0 && !cut.write(piece)) body.pause();
    if (left === 0) {
      body.off('data', take);
      body.destroy();
      cut.end();
    }
  };
  cut.on('drain', () => body.resume());
  cut.on('close', () => body.destroy());
  body.on('data', take);
  body.once('error', (err) => cut.destroy(err));
  body.once('end', () => {
    if (left > 0) cut.destroy(new Error(`the store's answer ended ${left} bytes short of the range`));
  });
  return cut;
}

/** Any failure of the store itself (down, refusing our credentials, missing bucket) is a 503 to the client. */
function unavailable(err: unknown): StoreUnavailableError {
  return err instanceof StoreUnavailableError ? err : new StoreUnavailableError(err);
}
