import type { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import fresh from 'fresh';
import parseRange from 'range-parser';
import type { ByteRange, MediaStore } from '../storage/store.js';
import { JSON_TYPE } from './json.js';
import { problem } from './problems.js';
import type { SmallObjectCache } from '../cache/small-object-cache.js';

export interface ServedFile {
  key: string;
  size: number;
  type: string;
  etag: string;
  lastModified: Date;
  cacheControl: string;
}

/** `bytes=5-2` is not a range at all (RFC 9110 §14.1.1): the header is ignored, not unsatisfiable. */
function hasBackwardsRange(header: string): boolean {
  return [...header.matchAll(/(\d+)\s*-\s*(\d+)/g)].some(([, start, end]) => Number(end) < Number(start));
}

/** If-Range holds when it names the current ETag (strong match) or the exact Last-Modified date. */
function ifRangeHolds(request: FastifyRequest, file: ServedFile, lastModified: string): boolean {
  const ifRange = request.headers['if-range'];
  if (typeof ifRange !== 'string') return true;
  if (ifRange.startsWith('"') || ifRange.startsWith('W/')) return ifRange === file.etag;
  return ifRange === lastModified;
}

/**
 * Answers a GET or HEAD for a stored file as browsers need: validators (ETag, Last-Modified),
 * 304 for a matching If-None-Match / If-Modified-Since, and one byte range (206, or 416 when it
 * cannot be satisfied). Several ranges get the whole file, which RFC 9110 allows.
 */
export async function sendStored(
  request: FastifyRequest,
  reply: FastifyReply,
  store: MediaStore,
  file: ServedFile,
  cache?: SmallObjectCache,
): Promise<FastifyReply> {
  const lastModified = file.lastModified.toUTCString();
  reply.headers({
    'content-type': file.type,
    etag: file.etag,
    'last-modified': lastModified,
    'accept-ranges': 'bytes',
    'cache-control': file.cacheControl,
  });

  if (fresh(request.headers, { etag: file.etag, 'last-modified': lastModified })) {
    return reply.code(304).send();
  }

  let range: ByteRange | undefined;
  const header = request.headers.range;
  if (header !== undefined && ifRangeHolds(request, file, lastModified)) {
    const parsed = hasBackwardsRange(header) ? -2 : parseRange(file.size, header, { combine: true });
    if (parsed === -1) {
      // The error is JSON, not the file's type (which would make Fastify refuse to serialize it: a
      // 500), and carries none of the file's validators or caching, so no cache keeps it as the file.
      for (const name of ['etag', 'last-modified', 'cache-control']) reply.removeHeader(name);
      return reply
        .code(416)
        .header('content-range', `bytes */${file.size}`)
        .header('cache-control', 'no-store')
        .type(JSON_TYPE)
        .send(problem('range_not_satisfiable').body);
    }
    if (parsed !== -2 && parsed.type === 'bytes' && parsed.length === 1) range = parsed[0];
  }

  const length = range ? range.end - range.start + 1 : file.size;
  reply.header('content-length', String(length));
  if (range) reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${file.size}`);
  // Fastify's HEAD route keeps our Content-Length for a stream payload (and measures any other);
  // an empty stream gives the headers of the GET without reading the file.
  if (request.method === 'HEAD') return reply.send(Readable.from([]));
  const kept = await cache?.get(store, file.key, file.size);
  if (kept !== undefined) return reply.send(range ? kept.subarray(range.start, range.end + 1) : kept);
  return reply.send(await store.get(file.key, range));
}
