import type { MediaKind } from './data.js';

/** The public URL of a movie's poster or trailer, with the content version that makes it cacheable forever. */
export function mediaUrl(movieId: number, kind: MediaKind, version: string): string {
  return `/api/v1/movies/${movieId}/${kind}?v=${version}`;
}
