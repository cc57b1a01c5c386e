import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import yazl from 'yazl';

/** A ZIP of these files (in this order), made by yazl as any archiver would. */
export async function zipOf(files: Record<string, string | Buffer>, options: { compress?: boolean } = {}): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, data] of Object.entries(files)) zip.addBuffer(Buffer.isBuffer(data) ? data : Buffer.from(data), name, { compress: options.compress ?? true });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream as Readable) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The files of a ZIP, by name, read with yauzl. */
export async function unzip(buffer: Buffer): Promise<Map<string, Buffer>> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => yauzl.fromBuffer(buffer, { lazyEntries: true }, (err, z) => (err ? reject(err) : resolve(z))));
  const files = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      zip.openReadStream(entry, (err, stream) => {
        if (err) return reject(err);
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          files.set(entry.fileName, Buffer.concat(chunks));
          zip.readEntry();
        });
        stream.on('error', reject);
      });
    });
    zip.on('end', resolve);
    zip.on('error', reject);
    zip.readEntry();
  });
  return files;
}

const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/**
 * Rewrites fields of every entry's headers, as a hand-made hostile archive would have them:
 * `flags` ORed into the general-purpose flags, `size` as the declared uncompressed size (central
 * directory and local header alike).
 */
export function patchZip(buffer: Buffer, change: { flags?: number; size?: number }): Buffer {
  const out = Buffer.from(buffer);
  for (let i = 0; i + 4 <= out.length; i++) {
    const sig = out.readUInt32LE(i);
    if (sig === CENTRAL) {
      if (change.flags !== undefined) out.writeUInt16LE(out.readUInt16LE(i + 8) | change.flags, i + 8);
      if (change.size !== undefined) out.writeUInt32LE(change.size, i + 24);
    } else if (sig === LOCAL) {
      if (change.flags !== undefined) out.writeUInt16LE(out.readUInt16LE(i + 6) | change.flags, i + 6);
      if (change.size !== undefined) out.writeUInt32LE(change.size, i + 22);
    }
  }
  return out;
}

/** Replaces one byte string by another of the same length everywhere (an entry's name, in its local header and the directory). */
export function renameInZip(buffer: Buffer, from: string, to: string): Buffer {
  if (from.length !== to.length) throw new Error('names must have the same length');
  const out = Buffer.from(buffer);
  const needle = Buffer.from(from);
  for (let i = out.indexOf(needle); i !== -1; i = out.indexOf(needle, i + 1)) Buffer.from(to).copy(out, i);
  return out;
}
