import { mkdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Config } from '../../config.js';
import type { Db } from '../../db/connect.js';
import type { MediaKind } from '../../domain/enums.js';
import { type InspectOptions, type Inspection, inspectInto } from '../../media/inspect.js';
import { type Variant, processPoster } from '../../media/poster.js';
import { AVATAR_MAX_BYTES, processAvatar } from '../../media/avatar.js';
import { type MediaStore, deletePrefix } from '../../storage/store.js';
import { writeNewFile } from '../../storage/write-new-file.js';
import { type Avatar, type Media, allMediaPrefixes } from './data.js';
import { MEDIA_ROOTS, newAvatarPrefix, newKeyPrefix, prefixOfKey, variantKey } from './keys.js';

/** What each kind of file may be, decided by its bytes: the rule of the upload routes, of `seed`, and of the docs. */
export const ACCEPTED_TYPES: Record<MediaKind, readonly string[]> = {
  poster: ['image/jpeg', 'image/png', 'image/webp'],
  trailer: ['video/mp4', 'video/webm'],
};
const LABEL: Record<MediaKind, string> = { poster: 'JPEG, PNG or WebP images', trailer: 'MP4 or WebM videos' };

/** What each kind of file may be, with the configured size limits. */
export function inspectOptions(config: Pick<Config, 'posterMaxBytes' | 'trailerMaxBytes'>): Record<MediaKind, InspectOptions> {
  return {
    poster: { maxBytes: config.posterMaxBytes, accept: ACCEPTED_TYPES.poster, label: LABEL.poster },
    trailer: { maxBytes: config.trailerMaxBytes, accept: ACCEPTED_TYPES.trailer, label: LABEL.trailer },
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
        stored = await store.put(variantKey(keyPrefix, 'video'), body);
      });
      const variants: Record<string, Variant> = { video: { size: stored.size, type: got.mime } };
      return { ...base, version: got.sha256.slice(0, 16), sha256: got.sha256, contentType: got.mime, size: got.size, width: null, height: null, variants };
    }
    await mkdir(target.stagingDir, { recursive: true });
    const staged = path.join(target.stagingDir, randomUUID());
    try {
      const got = await receive((body) => writeNewFile(body, staged));
      const poster = await processPoster(staged, store, (variant) => variantKey(keyPrefix, variant));
      return { ...base, version: got.sha256.slice(0, 16), sha256: got.sha256, contentType: got.mime, size: got.size, ...poster };
    } finally {
      await unlink(staged).catch(() => {});
    }
  } catch (err) {
    await removeFiles(store, target.log, [keyPrefix]);
    throw err;
  }
}

/** What an avatar may be, by its bytes. */
export const AVATAR_INSPECT: InspectOptions = { maxBytes: AVATAR_MAX_BYTES, accept: ACCEPTED_TYPES.poster, label: LABEL.poster };

/**
 * Stores an avatar's square crops under a new key prefix (staged on local disk for sharp, like a
 * poster) and returns the row that points at them, not yet saved. On failure nothing stays under
 * the new prefix.
 */
export async function storeAvatar(target: MediaTarget, userId: number, receive: Receive): Promise<Avatar> {
  const { store } = target;
  const keyPrefix = newAvatarPrefix(userId);
  try {
    await mkdir(target.stagingDir, { recursive: true });
    const staged = path.join(target.stagingDir, randomUUID());
    try {
      const got = await receive((body) => writeNewFile(body, staged));
      const avatar = await processAvatar(staged, store, (variant) => variantKey(keyPrefix, variant));
      return { userId, keyPrefix, version: got.sha256.slice(0, 16), sha256: got.sha256, contentType: got.mime, size: got.size, ...avatar, updatedAt: new Date().toISOString() };
    } finally {
      await unlink(staged).catch(() => {});
    }
  } catch (err) {
    await removeFiles(store, target.log, [keyPrefix]);
    throw err;
  }
}

/** Where a failed clean-up is reported: a request's logger, or the CLI's. */
export interface WarnLog {
  warn(details: object, message: string): void;
}

/**
 * Deletes the files of replaced or deleted media once the database no longer points at them.
 * A failure here only leaves orphans, which `sweepOrphans` removes at the next start.
 */
export async function removeFiles(store: MediaStore, log: WarnLog, prefixes: Iterable<string>): Promise<void> {
  for (const prefix of prefixes) {
    try {
      await deletePrefix(store, `${prefix}/`);
    } catch (err) {
      log.warn({ err, prefix }, 'could not delete media files; the next start removes them');
    }
  }
}

/** How old a file nobody points at must be before a sweep takes it: older than any upload in flight. */
export const ORPHAN_GRACE_MS = 60 * 60 * 1000;

/**
 * Removes what a crash between the steps of an upload or a replace can leave behind: files no
 * media row points at, and unfinished writes. Recent ones are spared, since another instance
 * sharing the store may be in the middle of an upload.
 */
export async function sweepOrphans(db: Db, store: MediaStore, now = Date.now()): Promise<number> {
  const cutoff = new Date(now - ORPHAN_GRACE_MS);
  const live = await allMediaPrefixes(db);
  let removed = await store.removeIncomplete(cutoff);
  for (const root of MEDIA_ROOTS) {
    for await (const object of store.list(root)) {
      const prefix = prefixOfKey(object.key);
      if (!live.has(prefix) && object.modified < cutoff) {
        await store.delete(object.key);
        removed += 1;
      }
    }
  }
  return removed;
}
