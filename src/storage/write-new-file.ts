import { createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Streams `body` into a file that must not exist yet, and settles only once that file is closed.
 *
 * `pipeline` alone is not enough for a caller that deletes the file on failure: when the body
 * fails first, `pipeline` can reject while the write stream is still opening its file, and the
 * open then creates the file after the caller's unlink (measured: about 1 in 100 failures left a
 * file behind). Waiting for 'close' makes the unlink final.
 */
export async function writeNewFile(body: Readable, file: string, mode = 0o640): Promise<void> {
  const out = createWriteStream(file, { flags: 'wx', mode });
  try {
    await pipeline(body, out);
  } finally {
    if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
  }
}
