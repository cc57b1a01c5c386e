import { createHash } from 'node:crypto';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { fileTypeFromBuffer } from 'file-type';
import { DomainError } from '../domain/errors.js';
import { invalidField } from '../domain/issues.js';
import { Mp4BoxWalker } from './mp4-check.js';

/** file-type decides on at most this many leading bytes. */
const SNIFF_BYTES = 4100;

export interface Inspection {
  mime: string;
  size: number;
  sha256: string;
}

export interface InspectOptions {
  maxBytes: number;
  /** The accepted types, decided by the bytes; anything else is a 415. */
  accept: readonly string[];
  /** What the accepted types are called in the 415's message. */
  label: string;
}

/**
 * Passes an upload through while deciding its type from its first bytes, hashing it, counting
 * it against the limit and, for MP4, checking that it is complete. It fails the stream with the
 * right error as soon as it knows: 415 on the first 4 KiB, 413 the moment the limit is passed.
 */
export class UploadInspector extends Transform {
  private readonly hash = createHash('sha256');
  private head: Buffer[] = [];
  private headLength = 0;
  private mime: string | undefined;
  private size = 0;
  private mp4: Mp4BoxWalker | undefined;

  constructor(private readonly opts: InspectOptions) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.opts.maxBytes) {
      callback(new DomainError('file_too_large', { limit: this.opts.maxBytes }));
      return;
    }
    this.hash.update(chunk);
    if (this.mime !== undefined) {
      this.mp4?.feed(chunk);
      callback(null, chunk);
      return;
    }
    this.head.push(chunk);
    this.headLength += chunk.length;
    if (this.headLength < SNIFF_BYTES) {
      callback();
      return;
    }
    this.sniff().then(
      (head) => callback(null, head),
      (err: unknown) => callback(err as Error),
    );
  }

  override _flush(callback: TransformCallback): void {
    const finish = (): void => {
      if (this.mp4 && !this.mp4.complete) {
        callback(invalidField(['body', 'file'], 'video_malformed'));
        return;
      }
      callback();
    };
    if (this.mime !== undefined) {
      finish();
      return;
    }
    if (this.size === 0) {
      callback(invalidField(['body', 'file'], 'file_empty'));
      return;
    }
    this.sniff().then(
      (head) => {
        this.push(head);
        finish();
      },
      (err: unknown) => callback(err as Error),
    );
  }

  private async sniff(): Promise<Buffer> {
    const head = Buffer.concat(this.head);
    this.head = [];
    const type = await fileTypeFromBuffer(head);
    if (!type || !this.opts.accept.includes(type.mime)) {
      throw new DomainError('file_type_unsupported', { ...(type ? { found: type.mime } : {}), accepted: this.opts.label, types: this.opts.accept.join(', ') });
    }
    this.mime = type.mime;
    if (type.mime === 'video/mp4') {
      this.mp4 = new Mp4BoxWalker();
      this.mp4.feed(head);
    }
    return head;
  }

  /** What was received; valid once the stream has ended without error. */
  result(): Inspection {
    if (this.mime === undefined) throw new Error('upload not inspected yet');
    return { mime: this.mime, size: this.size, sha256: this.hash.digest('hex') };
  }
}

/**
 * Pipes `source` through an inspector into `sink` (which streams it to storage) and resolves with
 * what the inspector found. `onFailure` runs before the error is passed on: a request must stay
 * open for its error response, while a file stream can simply be destroyed.
 */
export async function inspectInto(
  source: Readable,
  options: InspectOptions,
  sink: (body: Readable) => Promise<unknown>,
  onFailure: (inspector: UploadInspector) => void = () => {},
): Promise<Inspection> {
  const inspector = new UploadInspector(options);
  source.once('error', (err) => inspector.destroy(err));
  // The inspector may fail before the sink has attached to it (a short file ends while the store
  // is still opening its file); this listener keeps that from being an unhandled 'error' event.
  // The sink still sees the failure: a pipeline over an errored stream rejects with its error.
  inspector.on('error', () => {});
  source.pipe(inspector);
  try {
    await sink(inspector);
    if (inspector.errored) throw inspector.errored;
    return inspector.result();
  } catch (caught) {
    source.unpipe(inspector);
    onFailure(inspector);
    throw inspector.errored ?? caught;
  }
}
