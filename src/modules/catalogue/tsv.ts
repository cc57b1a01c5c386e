import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';

/** IMDb's `\N`: no value. */
export const NULL_FIELD = '\\N';

/** A run of a file's lines, its first one's number (the header is line 1), and how far into the file (on disk) the reading is. */
export interface LineBatch {
  lines: string[];
  firstLine: number;
  bytesRead: number;
}

/** A file that cannot be read as the TSV it should be: the import stops with this message. */
export class TsvError extends Error {}

/**
 * The longest line read, in UTF-16 units: IMDb's lines are under a kilobyte, and a file without
 * newlines (not a TSV, or a broken one) must not be gathered whole in memory looking for one.
 */
export const MAX_LINE = 65_536;

/**
 * Gzip by its magic bytes (1f 8b), not by its name: a `.tsv.gz` saved as `.tsv` by a browser, or
 * decompressed without renaming, still reads.
 */
function isGzip(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(2);
    const n = readSync(fd, head, 0, 2, 0);
    return n === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

export interface TsvFile {
  name: string;
  size: number;
  header: string[];
  /** The header's column index of each name. */
  columns: Map<string, number>;
  /** The lines after the header, `batchSize` at a time; reading pauses while the caller awaits (so memory stays flat). */
  batches: AsyncGenerator<LineBatch>;
}

/**
 * Opens an IMDb TSV file: not RFC 4180 (a quote is a literal character, there is no escaping), one
 * record a line separated by `\n`, fields by tabs, a header first. Checks the header has
 * `required` (naming the missing columns).
 */
export async function openTsv(file: string, required: readonly string[], batchSize: number): Promise<TsvFile> {
  const name = path.basename(file);
  let size: number;
  let gzip: boolean;
  try {
    size = statSync(file).size;
    gzip = isGzip(file);
  } catch (err) {
    throw new TsvError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const batches = readBatches(file, gzip, batchSize);
  const first = await batches.next();
  const headerLine = first.done ? undefined : first.value.lines[0];
  if (headerLine === undefined || headerLine === '') {
    await batches.return(undefined);
    throw new TsvError(`${name} is empty: a header line (${required.join(', ')}) was expected`);
  }
  const header = headerLine.split('\t');
  const missing = required.filter((c) => !header.includes(c));
  if (missing.length > 0) {
    await batches.return(undefined);
    throw new TsvError(`${name} line 1: the header lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (found: ${header.join(', ')})`);
  }
  return { name, size, header, columns: new Map(header.map((c, i) => [c, i])), batches };
}

/**
 * The file's lines, the header alone first, then `batchSize` at a time. A hand loop over the
 * decoded chunks (readline costs an event and a closure per line); a chunk's last partial
 * line (and a UTF-8 character cut in two, by the decoder) waits for the next chunk.
 */
async function* readBatches(file: string, gzip: boolean, batchSize: number): AsyncGenerator<LineBatch> {
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  const source: AsyncIterable<Buffer> = gzip ? raw.pipe(createGunzip({ chunkSize: 1 << 18 })) : raw;
  if (gzip) raw.on('error', (err) => (source as NodeJS.ReadableStream).emit('error', err));
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let lineNo = 1;
  let header = true;
  let lines: string[] = [];
  let firstLine = 1;
  try {
    for await (const chunk of source) {
      const text = rest + decoder.write(chunk);
      let start = 0;
      // Bounded by the chunk's length: each turn moves past one newline.
      for (let nl = text.indexOf('\n', start); nl !== -1; nl = text.indexOf('\n', start)) {
        const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl; // a CRLF file reads the same
        if (end - start > MAX_LINE) throw new TsvError(`${path.basename(file)} line ${lineNo + lines.length}: longer than ${MAX_LINE.toLocaleString('en-US')} characters (is it a tab-separated file with one title a line?)`);
        lines.push(text.slice(start, end));
        start = nl + 1;
        if (header || lines.length >= batchSize) {
          yield { lines, firstLine, bytesRead: raw.bytesRead };
          header = false;
          lineNo += lines.length;
          firstLine = lineNo;
          lines = [];
        }
      }
      rest = text.slice(start);
      // A CRLF line may be cut between its \r and its \n: the \r is not the line's.
      if (rest.length > MAX_LINE + (rest.endsWith('\r') ? 1 : 0)) throw new TsvError(`${path.basename(file)} line ${lineNo + lines.length}: longer than ${MAX_LINE.toLocaleString('en-US')} characters (is it a tab-separated file with one title a line?)`);
    }
    rest += decoder.end();
    if (rest !== '') lines.push(rest.endsWith('\r') ? rest.slice(0, -1) : rest);
    if (lines.length > 0) yield { lines, firstLine, bytesRead: raw.bytesRead };
  } catch (err) {
    if (err instanceof TsvError) throw err;
    throw new TsvError(`cannot read ${path.basename(file)} after line ${lineNo - 1}: ${(err as Error).message}`);
  } finally {
    raw.destroy();
  }
}
