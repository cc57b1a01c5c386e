import { mkdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Config } from '../../config.js';
import type { Media, MediaKind, Variant } from './data.js';
import { type WarnLog, removeFiles } from './files.js';
import { POSTER_BODY_TYPES, TRAILER_BODY_TYPES } from './schemas.js';
import type { MediaStore } from '../../storage/store.js';
import { writeNewFile } from '../../storage/write-new-file.js';
import { type InspectOptions, type Inspection, inspectInto } from '../../media/inspect.js';
import { processPoster } from '../../media/poster.js';
import { newKeyPrefix } from '../../http/upload.js';

/** What each kind of file may be, from the configured limits; the upload routes and `seed` share it. */
export function inspectOptions(config: Pick<Config, 'posterMaxBytes' | 'trailerMaxBytes'>): Record<MediaKind, InspectOptions> {
  return {
    poster: { maxBytes: config.posterMaxBytes, accept: POSTER_BODY_TYPES, label: 'JPEG, PNG or WebP images' },
    trailer: { maxBytes: config.trailerMaxBytes, accept: TRAILER_BODY_TYPES, label: 'MP4 or WebM videos' },
  };
}

/**
 * Feeds the file's bytes, checked by an `UploadInspector`, to `sink` and resolves with what the
 * inspector found once the sink is done. An upload route passes one bound to its request (which
 * also handles the client going away); `inspectStream` is the plain one.
 */
export type Receive = (sink: (body: Readable) => Promise<unknown>) => Promise<Inspection>;

/** `Receive` for a stream that is not an HTTP request (a file on disk, bytes in memory). */
export function inspectStream(source: Readable, options: InspectOptions): Receive {
  return (sink) => inspectInto(source, options, sink, () => source.destroy());
}

export interface MediaTarget {
  store: MediaStore;
  /** Local directory where a poster waits while sharp reads it. */
  stagingDir: string;
  log: WarnLog;
}

/**
 * Stores a poster or trailer under a new key prefix and returns the media row that points at it,
 * not yet saved. A trailer streams straight into the store; a poster is staged on local disk (it
 * is at most POSTER_MAX_BYTES) so sharp can read it, then every served copy is made. On failure
 * nothing stays under the new prefix.
 */
export async function storeMedia(target: MediaTarget, movieId: number, kind: MediaKind, receive: Receive): Promise<Media> {
  const { store } = target;
  const keyPrefix = newKeyPrefix(movieId, kind);
  const base = { movieId, kind, keyPrefix, updatedAt: new Date().toISOString() };
  try {
    if (kind === 'trailer') {
      let stored = { size: 0 };
      const got = await receive(async (body) => {
        stored = await store.put(`${keyPrefix}/video`, body);
      });
      const variants: Record<string, Variant> = { video: { size: stored.size, type: got.mime } };
      return { ...base, version: got.sha256.slice(0, 16), sha256: got.sha256, contentType: got.mime, size: got.size, width: null, height: null, variants };
    }
    await mkdir(target.stagingDir, { recursive: true });
    const staged = path.join(target.stagingDir, randomUUID());
    try {
      const got = await receive((body) => writeNewFile(body, staged));
      const poster = await processPoster(staged, store, keyPrefix);
      return { ...base, version: got.sha256.slice(0, 16), sha256: got.sha256, contentType: got.mime, size: got.size, ...poster };
    } finally {
      await unlink(staged).catch(() => {});
    }
  } catch (err) {
    await removeFiles(store, target.log, [keyPrefix]);
    throw err;
  }
}
