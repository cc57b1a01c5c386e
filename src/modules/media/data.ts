import type { Db } from '../../db/connect.js';
import { inTransaction } from '../../db/transaction.js';
import { isForeignKeyViolation, isUniqueViolation } from '../../db/errors.js';
import { locksRows } from '../../db/locks.js';
import { prepared } from '../../db/prepared.js';
import type { MediaTable } from '../../db/schema.js';
import type { MediaKind } from '../../domain/enums.js';
import { DomainError, type ErrorCode } from '../../domain/errors.js';
import type { Variant } from '../../media/poster.js';

export interface Media {
  movieId: number;
  kind: MediaKind;
  keyPrefix: string;
  version: string;
  sha256: string;
  contentType: string;
  size: number;
  width: number | null;
  height: number | null;
  variants: Record<string, Variant>;
  updatedAt: string;
}

/** What a poster's, trailer's or avatar's row says of its stored files, as the services name it (but the size in pixels). */
function storedFiles(row: Omit<MediaTable, 'movie_id' | 'kind' | 'width' | 'height'>) {
  return {
    keyPrefix: row.key_prefix,
    version: row.version,
    sha256: row.sha256,
    contentType: row.content_type,
    // PostgreSQL's bigint comes back as a string.
    size: Number(row.size),
    variants: JSON.parse(row.variants) as Record<string, Variant>,
    updatedAt: row.updated_at,
  };
}

function fromRow(row: MediaTable): Media {
  return { movieId: row.movie_id, kind: row.kind, width: row.width, height: row.height, ...storedFiles(row) };
}

function toRow(media: Media): MediaTable {
  return {
    movie_id: media.movieId,
    kind: media.kind,
    key_prefix: media.keyPrefix,
    version: media.version,
    sha256: media.sha256,
    content_type: media.contentType,
    size: media.size,
    width: media.width,
    height: media.height,
    variants: JSON.stringify(media.variants),
    updated_at: media.updatedAt,
  };
}

/** What a second POST of a kind says (a PUT replaces). */
export const EXISTS = { poster: 'poster_exists', trailer: 'trailer_exists' } as const satisfies Record<MediaKind, ErrorCode>;
/** What a movie without one of a kind says. */
export const MISSING = { poster: 'poster_not_found', trailer: 'trailer_not_found' } as const satisfies Record<MediaKind, ErrorCode>;

// Read on every poster and trailer request: compiled once (src/db/prepared.ts).
const mediaOf = prepared((db, _shape: 'by movie and kind', v: { movieId: number; kind: MediaKind }) =>
  db.selectFrom('media').selectAll().where('movie_id', '=', v.movieId).where('kind', '=', v.kind),
);

export async function findMedia(db: Db, movieId: number, kind: MediaKind): Promise<Media | undefined> {
  const [row] = await mediaOf(db, 'by movie and kind', { movieId, kind });
  return row && fromRow(row);
}

/**
 * Makes `media` the movie's current poster or trailer, in one transaction, and tells which files
 * it replaced (to delete once the switch is committed). `create` refuses when one exists (409),
 * through the primary key rather than a pre-check, so two concurrent creates cannot both win.
 */
export async function saveMedia(db: Db, media: Media, mode: 'create' | 'replace'): Promise<{ replaced: string | undefined }> {
  try {
    if (mode === 'create') {
      await db.insertInto('media').values(toRow(media)).execute();
      return { replaced: undefined };
    }
    return await db.transaction().execute(async (trx) => {
      // A no-op write locks the row on PostgreSQL, so the prefix read next is the one we replace.
      await trx.updateTable('media').set({ kind: media.kind }).where('movie_id', '=', media.movieId).where('kind', '=', media.kind).execute();
      const old = await trx
        .selectFrom('media')
        .select('key_prefix')
        .where('movie_id', '=', media.movieId)
        .where('kind', '=', media.kind)
        .executeTakeFirst();
      const row = toRow(media);
      if (old) {
        await trx.updateTable('media').set(row).where('movie_id', '=', media.movieId).where('kind', '=', media.kind).execute();
      } else {
        await trx.insertInto('media').values(row).execute();
      }
      return { replaced: old?.key_prefix };
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new DomainError(EXISTS[media.kind]);
    if (isForeignKeyViolation(err)) throw new DomainError('movie_not_found');
    throw err;
  }
}

/** Removes the row; returns the prefix of its files, to delete next. */
export async function deleteMedia(db: Db, movieId: number, kind: MediaKind): Promise<string | undefined> {
  const row = await db
    .deleteFrom('media')
    .where('movie_id', '=', movieId)
    .where('kind', '=', kind)
    .returning('key_prefix')
    .executeTakeFirst();
  return row?.key_prefix;
}

export async function mediaPrefixesOfMovie(db: Db, movieId: number): Promise<string[]> {
  const rows = await db.selectFrom('media').select('key_prefix').where('movie_id', '=', movieId).execute();
  return rows.map((r) => r.key_prefix);
}

/** Every prefix a row points at, movies' media and members' avatars: what the sweep keeps. */
export async function allMediaPrefixes(db: Db): Promise<Set<string>> {
  const rows = await db.selectFrom('media').select('key_prefix').unionAll(db.selectFrom('avatars').select('key_prefix')).execute();
  return new Set(rows.map((r) => r.key_prefix));
}

/** A member's current avatar: its square crops in the media store. */
export interface Avatar {
  userId: number;
  keyPrefix: string;
  version: string;
  sha256: string;
  contentType: string;
  size: number;
  /** Of the image uploaded, upright. */
  width: number;
  height: number;
  variants: Record<string, Variant>;
  updatedAt: string;
}

const avatarOf = prepared((db, _shape: 'by user', v: { userId: number }) => db.selectFrom('avatars').selectAll().where('user_id', '=', v.userId));

export async function findAvatar(db: Db, userId: number): Promise<Avatar | undefined> {
  const [row] = await avatarOf(db, 'by user', { userId });
  if (!row) return undefined;
  return { userId: row.user_id, width: row.width, height: row.height, ...storedFiles(row) };
}

/**
 * Makes `avatar` the member's current one and tells which files it replaced (to delete once the
 * switch is committed): one upsert on the primary key, with the old prefix read under the row's
 * lock in the same transaction.
 */
export async function saveAvatar(db: Db, avatar: Avatar): Promise<{ replaced: string | undefined }> {
  const row = {
    user_id: avatar.userId,
    key_prefix: avatar.keyPrefix,
    version: avatar.version,
    sha256: avatar.sha256,
    content_type: avatar.contentType,
    size: avatar.size,
    width: avatar.width,
    height: avatar.height,
    variants: JSON.stringify(avatar.variants),
    updated_at: avatar.updatedAt,
  };
  try {
    return await inTransaction(db, async (trx) => {
      const old = await trx
        .selectFrom('avatars')
        .select('key_prefix')
        .where('user_id', '=', avatar.userId)
        .$if(locksRows(trx), (qb) => qb.forUpdate())
        .executeTakeFirst();
      await trx
        .insertInto('avatars')
        .values(row)
        .onConflict((oc) => oc.column('user_id').doUpdateSet(row))
        .execute();
      return { replaced: old?.key_prefix };
    });
  } catch (err) {
    // The account was deleted while its avatar uploaded.
    if (isForeignKeyViolation(err)) throw new DomainError('not_authenticated');
    throw err;
  }
}

/** Removes the member's avatar row; returns the prefix of its files, to delete next. */
export async function deleteAvatar(db: Db, userId: number): Promise<string | undefined> {
  const row = await db.deleteFrom('avatars').where('user_id', '=', userId).returning('key_prefix').executeTakeFirst();
  return row?.key_prefix;
}
