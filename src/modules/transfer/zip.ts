import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { invalidField } from '../../domain/issues.js';

const MiB = 1024 * 1024;

/**
 * What an uploaded archive may hold (community.md): a Letterboxd export is a few hundred KiB
 * holding a few dozen files, so these only stop bombs. The declared sizes are checked before a
 * byte is inflated, and yauzl checks each entry's inflated bytes against its declared size as it
 * streams (`validateEntrySizes`), so no entry inflates past what was declared and checked.
 */
export const ZIP_LIMITS = { maxEntries: 10_000, maxInflatedBytes: 100 * MiB } as const;

const LOC = ['body', 'file'];

/** An entry of the archive, by its path inside it (`lists/Films of 2026.csv`). */
export interface ZipEntry {
  name: string;
  size: number;
  entry: yauzl.Entry;
}

/** yauzl's own refusals of a name (it checks every entry's path as it reads the directory). */
function refusal(err: Error): Error {
  const unsafe = /^(absolute path|invalid relative path|invalid characters in fileName): (.*)$/s.exec(err.message);
  if (unsafe) return invalidField(LOC, 'zip_unsafe_path', { name: unsafe[2]!.slice(0, 200) });
  return invalidField(LOC, 'zip_malformed');
}

/** A path that stays inside the archive: relative, no `..` segment, no backslash or drive letter (also checked by yauzl). */
function safeName(name: string): boolean {
  return !name.startsWith('/') && !name.includes('\\') && !/^[A-Za-z]:/.test(name) && !name.split('/').includes('..');
}

/**
 * A ZIP file on disk, read through its central directory: every entry's name, size and flags are
 * checked (count, total declared size, paths, encryption) before any is opened, and an entry is
 * inflated only as its reader pulls (never the whole archive in memory).
 */
export class ZipArchive {
  private constructor(
    private readonly zip: yauzl.ZipFile,
    readonly entries: ZipEntry[],
  ) {}

  static async open(path: string): Promise<ZipArchive> {
    const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => {
      yauzl.open(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: true }, (err, opened) => {
        if (err) reject(refusal(err));
        else resolve(opened);
      });
    });
    try {
      if (zip.entryCount > ZIP_LIMITS.maxEntries) throw invalidField(LOC, 'zip_too_many_entries', { max: ZIP_LIMITS.maxEntries });
      const entries = await new Promise<ZipEntry[]>((resolve, reject) => {
        const found: ZipEntry[] = [];
        let declared = 0;
        zip.on('entry', (entry: yauzl.Entry) => {
          if (!safeName(entry.fileName)) return reject(invalidField(LOC, 'zip_unsafe_path', { name: entry.fileName.slice(0, 200) }));
          if (entry.isEncrypted()) return reject(invalidField(LOC, 'zip_encrypted', { name: entry.fileName.slice(0, 200) }));
          declared += entry.uncompressedSize;
          if (declared > ZIP_LIMITS.maxInflatedBytes) return reject(invalidField(LOC, 'zip_too_large', { max: ZIP_LIMITS.maxInflatedBytes }));
          if (!entry.fileName.endsWith('/')) found.push({ name: entry.fileName, size: entry.uncompressedSize, entry });
          zip.readEntry();
        });
        zip.once('end', () => resolve(found));
        zip.once('error', (err: Error) => reject(refusal(err)));
        zip.readEntry();
      });
      return new ZipArchive(zip, entries);
    } catch (err) {
      zip.close();
      throw err;
    }
  }

  /** The entry's bytes, inflated as they are read; a stream error is a malformed archive (422). */
  async open(entry: ZipEntry): Promise<Readable> {
    if (!entry.entry.canDecodeFileData()) throw invalidField(LOC, 'zip_malformed');
    const stream = await new Promise<Readable>((resolve, reject) => {
      this.zip.openReadStream(entry.entry, (err, opened) => (err ? reject(refusal(err)) : resolve(opened)));
    });
    return stream;
  }

  close(): void {
    this.zip.close();
  }
}

/** Whether these bytes begin a ZIP archive (a local file header, or the end record of an empty one). */
export function looksLikeZip(head: Buffer): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6));
}
