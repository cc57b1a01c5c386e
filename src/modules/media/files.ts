import { type MediaStore, deletePrefix } from '../../storage/store.js';
import type { Db } from '../../db/connect.js';
import { allMediaPrefixes } from './data.js';

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
  for await (const object of store.list('movies/')) {
    const prefix = object.key.split('/').slice(0, 3).join('/');
    if (!live.has(prefix) && object.modified < cutoff) {
      await store.delete(object.key);
      removed += 1;
    }
  }
  return removed;
}
