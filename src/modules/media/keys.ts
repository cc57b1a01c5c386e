import { randomBytes } from 'node:crypto';
import type { MediaKind } from '../../domain/enums.js';

/**
 * Where media live, in the store and on the web: the one place that writes and reads the key
 * layout, `movies/<movie id>/<kind>-<random>/<variant>` for a movie's poster and trailer and
 * `users/<user id>/avatar-<random>/<variant>` for a member's avatar.
 */

/** A fresh, unguessable place for one upload's files; never derived from anything the client sent. */
export function newKeyPrefix(movieId: number, kind: MediaKind): string {
  return `movies/${movieId}/${kind}-${randomBytes(9).toString('hex')}`;
}

/** A fresh place for one avatar upload's files. */
export function newAvatarPrefix(userId: number): string {
  return `users/${userId}/avatar-${randomBytes(9).toString('hex')}`;
}

/** The stored object of one variant under a prefix. */
export const variantKey = (prefix: string, variant: string): string => `${prefix}/${variant}`;

/** Everything the store holds for media, listed by the sweep. */
export const MEDIA_ROOTS = ['movies/', 'users/'] as const;

/** The upload prefix a stored key belongs to (`movies/5/poster-ab12…/w320.jpg` → `movies/5/poster-ab12…`; the same for `users/…`). */
export function prefixOfKey(key: string): string {
  return key.split('/').slice(0, 3).join('/');
}

/** The public URL of a movie's poster or trailer, with the content version that makes it cacheable forever. */
export function mediaUrl(movieId: number, kind: MediaKind, version: string): string {
  return `/api/v1/movies/${movieId}/${kind}?v=${version}`;
}

/** The public URL of a member's avatar, versioned like a poster's. */
export function avatarUrl(userId: number, version: string): string {
  return `/api/v1/users/${userId}/avatar?v=${version}`;
}
