/** Generated MP4 files for the benchmarks: the sample trailer's head, then an mdat box of any size. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const SAMPLE_TRAILER = fileURLToPath(new URL('../assets/demo/trailer.mp4', import.meta.url));
const MiB = 1024 * 1024;

/** The sample's ftyp and moov boxes: what makes the bytes an MP4 to the server's checks. */
export function mp4Head(): Buffer {
  const sample = readFileSync(SAMPLE_TRAILER);
  const keep: Buffer[] = [];
  for (let at = 0; at + 8 <= sample.length; ) {
    const size = sample.readUInt32BE(at);
    const type = sample.toString('latin1', at + 4, at + 8);
    if (size < 8) throw new Error(`${SAMPLE_TRAILER}: unexpected box size ${size}`);
    if (type === 'ftyp' || type === 'moov') keep.push(sample.subarray(at, at + size));
    at += size;
  }
  return Buffer.concat(keep);
}

/**
 * The file, in 1 MiB chunks: ftyp + moov, then one mdat box filling it to exactly `size` bytes
 * (with a 64-bit size field when the box needs one). The same chunk is sent again and again.
 */
export function* mp4Body(size: number, head: Buffer): Generator<Buffer> {
  const rest = size - head.length;
  const large = rest > 0xffffffff;
  const header = Buffer.alloc(large ? 16 : 8);
  header.writeUInt32BE(large ? 1 : rest, 0);
  header.write('mdat', 4, 'latin1');
  if (large) header.writeBigUInt64BE(BigInt(rest), 8);
  if (rest < header.length) throw new Error(`an MP4 must be at least ${head.length + header.length} bytes`);
  yield head;
  yield header;
  const chunk = Buffer.alloc(MiB, 0x42);
  for (let left = rest - header.length; left > 0; left -= chunk.length) {
    yield left >= chunk.length ? chunk : chunk.subarray(0, left);
  }
}
