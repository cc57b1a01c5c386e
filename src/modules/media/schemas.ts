import { Type } from 'typebox';
import { MEDIA_KINDS, type MediaKind } from '../../domain/enums.js';
import { Nullable } from '../../http/schemas.js';
import { POSTER_WIDTHS, type PosterWidth } from '../../media/poster.js';
import { AVATAR_WIDTHS, type AvatarWidth, DEFAULT_AVATAR_WIDTH } from '../../media/avatar.js';
import { ACCEPTED_TYPES } from './service.js';

export const PosterQuery = Type.Object({
  w: Type.Optional(
    Type.Unsafe<PosterWidth>({ type: 'integer', enum: [...POSTER_WIDTHS], description: `Width of a resized copy: ${POSTER_WIDTHS.join(', ')}` }),
  ),
  v: Type.Optional(Type.String({ maxLength: 64, description: 'Content version from poster_url; makes the answer cacheable forever' })),
});

export const AvatarQuery = Type.Object({
  w: Type.Optional(
    Type.Unsafe<AvatarWidth>({ type: 'integer', enum: [...AVATAR_WIDTHS], description: `Side of the square, ${AVATAR_WIDTHS.join(', ')}; default ${DEFAULT_AVATAR_WIDTH}` }),
  ),
  v: Type.Optional(Type.String({ maxLength: 64, description: 'Content version from avatar_url; makes the answer cacheable forever' })),
});

export const TrailerQuery = Type.Object({
  v: Type.Optional(Type.String({ maxLength: 64, description: 'Content version from trailer_url; makes the answer cacheable forever' })),
});

export const MediaInfo = Type.Object(
  {
    movie_id: Type.Integer(),
    kind: Type.Unsafe<MediaKind>({ type: 'string', enum: [...MEDIA_KINDS] }),
    url: Type.String({ description: 'Versioned URL to fetch it' }),
    content_type: Type.String({ description: 'Type of the uploaded file, decided by its bytes' }),
    size: Type.Integer({ description: 'Bytes uploaded' }),
    sha256: Type.String(),
    width: Nullable(Type.Integer({ description: 'Pixels, for posters' })),
    height: Nullable(Type.Integer({ description: 'Pixels, for posters' })),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { title: 'Media', description: 'The stored poster or trailer' },
);

export const AvatarInfo = Type.Object(
  {
    user_id: Type.Integer(),
    url: Type.String({ description: 'Versioned URL to fetch it' }),
    content_type: Type.String({ description: 'Type of the uploaded file, decided by its bytes' }),
    size: Type.Integer({ description: 'Bytes uploaded' }),
    sha256: Type.String(),
    width: Type.Integer({ description: 'Pixels of the image uploaded' }),
    height: Type.Integer({ description: 'Pixels of the image uploaded' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { title: 'Avatar', description: 'The stored avatar' },
);

const binary = (types: readonly string[], description: string) => ({
  description,
  content: Object.fromEntries(types.map((t) => [t, { schema: { type: 'string', format: 'binary' } }])),
});

/** Response entries for the file itself, for the OpenAPI document (serialization never touches a stream). */
export const posterFile = binary(['image/jpeg', 'image/webp'], 'The poster (WebP when Accept allows it)');
export const posterPart = binary(['image/jpeg', 'image/webp'], 'Part of the poster (Range)');
export const avatarFile = binary(['image/jpeg', 'image/webp'], 'The avatar (WebP when Accept allows it)');
export const avatarPart = binary(['image/jpeg', 'image/webp'], 'Part of the avatar (Range)');
export const trailerFile = binary(ACCEPTED_TYPES.trailer, 'The trailer');
export const trailerPart = binary(ACCEPTED_TYPES.trailer, 'Part of the trailer (Range)');
export const notModified = { description: 'Not modified (If-None-Match / If-Modified-Since)', type: 'null' };
