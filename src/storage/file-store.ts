import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { type ByteRange, type MediaStore, MissingObjectError, type StoredObject, assertSafeKey } from './store.js';
import { writeNewFile } from './write-new-file.js';

const TMP = '.incoming';

/**
 * Objects as files under a root directory. A write goes to `.incoming/` first, is flushed to
 * disk, then renamed into place: rename is atomic, so a reader sees the old file or the new one,
 * never half of one.
 */
export class FileStore implements MediaStore {
  constructor(readonly root: string) {}

  private pathOf(key: string): string {
    assertSafeKey(key);
    return path.join(this.root, ...key.split('/'));
  }

  async put(key: string, body: Readable): Promise<{ size: number }> {
    const target = this.pathOf(key);
    const tmpDir = path.join(this.root, TMP);
    await mkdir(tmpDir, { recursive: true });
    const tmp = path.join(tmpDir, randomUUID());
    let size = 0;
    try {
      body.on('data', (chunk: Buffer) => {
        size += chunk.length;
      });
      await writeNewFile(body, tmp);
      // Durable before it becomes visible: fsync flushes the file, whichever descriptor asks.
      const handle = await open(tmp, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await mkdir(path.dirname(target), { recursive: true });
      await rename(tmp, target);
      return { size };
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw err;
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const file = this.pathOf(key);
    // Open before answering, so a missing file is an error here and not a broken response later.
    const handle = await open(file, 'r').catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'ENOENT' ? new MissingObjectError(key) : err;
    });
    // The stream owns the handle and closes it; passing only `handle.fd` would leave the FileHandle to
    // close the same descriptor again when collected (EBADF, or another file's reused descriptor).
    return handle.createReadStream({ autoClose: true, ...(range ?? {}) });
  }

  async stat(key: string): Promise<StoredObject | undefined> {
    try {
      const s = await stat(this.pathOf(key));
      return { key, size: s.size, modified: s.mtime };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    const file = this.pathOf(key);
    await unlink(file).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    // Tidy the now-empty directories up to the root; a non-empty one stops the climb.
    for (let dir = path.dirname(file); dir.startsWith(this.root + path.sep) && dir !== this.root; dir = path.dirname(dir)) {
      try {
        await rmdir(dir);
      } catch {
        break;
      }
    }
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    const walk = async function* (dir: string, keyPrefix: string): AsyncIterable<StoredObject> {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        // Nothing under a prefix that does not exist, or that names a file rather than a directory.
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return;
        throw err;
      }
      for (const entry of entries) {
        if (entry.name === TMP && keyPrefix === '') continue;
        const key = keyPrefix === '' ? entry.name : `${keyPrefix}/${entry.name}`;
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) yield* walk(full, key);
        else if (entry.isFile()) {
          const s = await stat(full);
          yield { key, size: s.size, modified: s.mtime };
        }
      }
    };
    // Walk only below the directory the prefix names, not the whole store.
    const dirKey = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    if (dirKey !== '') assertSafeKey(dirKey);
    const start = dirKey === '' ? this.root : path.join(this.root, ...dirKey.split('/'));
    for await (const object of walk(start, dirKey)) if (object.key.startsWith(prefix)) yield object;
  }

  async removeIncomplete(idleSince: Date): Promise<number> {
    const dir = path.join(this.root, TMP);
    let removed = 0;
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return 0;
    }
    for (const name of names) {
      const file = path.join(dir, name);
      const s = await stat(file).catch(() => undefined);
      if (s && s.mtime < idleSince) {
        await rm(file, { force: true });
        removed += 1;
      }
    }
    return removed;
  }

  /** Nothing stays open between calls: every read and write opens and closes its own file. */
  async close(): Promise<void> {}
}
