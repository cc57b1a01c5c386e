import { buffer } from 'node:stream/consumers';
import { ByteLru } from './byte-lru.js';
import type { MediaStore } from '../storage/store.js';

/**
 * Small stored objects (poster thumbnails) kept in memory, least recently used out first. A key
 * is never rewritten (a replaced poster gets new keys), so an entry can never be stale: no
 * invalidation, only eviction. Serving from memory skips an open, a read on the thread pool, a
 * close and a stream per request (the thumbnail GET of `npm run bench`).
 */
export class SmallObjectCache {
  private readonly entries: ByteLru<Buffer>;

  constructor(
    /** Objects larger than this are always streamed from the store. */
    readonly maxObjectBytes: number,
    /** The most bytes kept in all. */
    maxTotalBytes: number,
  ) {
    this.entries = new ByteLru(maxTotalBytes);
  }

  /** The object's bytes when it is small enough to keep (read from the store once), else undefined. */
  async get(store: MediaStore, key: string, size: number): Promise<Buffer | undefined> {
    if (size > this.maxObjectBytes) return undefined;
    const hit = this.entries.get(key);
    if (hit !== undefined) return hit;
    const bytes = await buffer(await store.get(key));
    if (bytes.length !== size) return bytes; // not what the row says: serve it, do not keep it
    this.entries.set(key, bytes, bytes.length);
    return bytes;
  }
}
