import type { FastifyReply, FastifyRequest } from 'fastify';
import { SmallObjectCache } from '../../cache/small-object-cache.js';
import { DomainError, type ErrorCode } from '../../domain/errors.js';
import { sendStored } from '../../http/send-stored.js';
import type { Variant } from '../../media/poster.js';
import { type MediaStore, MissingObjectError } from '../../storage/store.js';
import { variantKey } from './keys.js';

const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Stored objects up to this size are kept in memory once read (README, Limits). */
const SMALL_OBJECT_MAX_BYTES = 256 * 1024;
const SMALL_OBJECTS_TOTAL_BYTES = 32 * 1024 * 1024;

// Small objects (poster thumbnails and avatars are a few KiB to some tens) are served from memory;
// larger ones (trailers, most full-size posters) stream from the store. Per process: 32 MiB at most.
const smallObjects = new SmallObjectCache(SMALL_OBJECT_MAX_BYTES, SMALL_OBJECTS_TOTAL_BYTES);

/** WebP when the client lists it (with a non-zero q) or accepts any image; JPEG otherwise. */
export function prefersWebp(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((item) => {
    const [type = '', ...params] = item.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return (type === 'image/webp' || type === 'image/*') && (q === undefined || Number(q.slice(2)) > 0);
  });
}


/** What is served of one stored upload: where its files are, their version and time. */
export interface StoredUpload {
  keyPrefix: string;
  version: string;
  updatedAt: string;
  variants: Record<string, Variant>;
}

/**
 * Serves one variant of a poster, trailer or avatar, with the caching rules of every media file:
 * forever (immutable) when the URL's `?v=` is the current version, revalidated otherwise.
 * `find` reads the current row (and throws the right 404); one retry, since a replace may delete
 * the files between that read and the open.
 */
export async function serveVariant(
  store: MediaStore,
  request: FastifyRequest,
  reply: FastifyReply,
  what: { find: () => Promise<StoredUpload>; missing: ErrorCode; version: string | undefined; variant: string },
) {
  for (let attempt = 0; ; attempt += 1) {
    const upload = await what.find();
    const variant = upload.variants[what.variant];
    if (!variant) throw new DomainError(what.missing);
    try {
      const file = {
        key: variantKey(upload.keyPrefix, what.variant),
        size: variant.size,
        type: variant.type,
        etag: `"${upload.version}-${what.variant.replace('.', '-')}"`,
        lastModified: new Date(upload.updatedAt),
        cacheControl: what.version === upload.version ? IMMUTABLE : 'no-cache',
      };
      return await sendStored(request, reply, store, file, smallObjects);
    } catch (err) {
      if (!(err instanceof MissingObjectError) || attempt > 0) throw err;
    }
  }
}
