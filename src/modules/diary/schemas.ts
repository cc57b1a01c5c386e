import { type Static, Type } from 'typebox';
import { EARLIEST_DATE } from '../../domain/dates.js';
import { IdsQuery, Nullable } from '../../http/schemas.js';
import { PageQuery } from '../../http/pagination.js';
import { Rating } from '../reviews/index.js';

export const MAX_TAGS = 20;

const WatchedOn = Type.String({
  format: 'date',
  description: `The day it was watched, YYYY-MM-DD, from ${EARLIEST_DATE} to tomorrow (time zones ahead of UTC)`,
});
const Tags = Type.Array(Type.String({ minLength: 1, maxLength: 50 }), {
  maxItems: MAX_TAGS,
  description: `Up to ${MAX_TAGS} tags of 1–50 characters each; trimmed, and repeats (ignoring case) dropped`,
});
const Id = Type.Integer({ minimum: 1, maximum: 2147483647 });

export const EntryCreate = Type.Object(
  {
    movie_id: Id,
    watched_on: WatchedOn,
    rewatch: Type.Optional(Type.Boolean({ default: false })),
    rating: Type.Optional(Nullable(Rating)),
    liked: Type.Optional(Type.Boolean({ default: false })),
    tags: Type.Optional(Tags),
  },
  {
    title: 'DiaryEntryCreate',
    description: 'A viewing. Its rating, when given, becomes your rating of the movie unless a later viewing has one; logging takes the movie off your watchlist.',
  },
);

export const EntryPatch = Type.Object(
  {
    watched_on: Type.Optional(WatchedOn),
    rewatch: Type.Optional(Type.Boolean()),
    rating: Type.Optional(Nullable(Rating)),
    liked: Type.Optional(Type.Boolean()),
    tags: Type.Optional(Tags),
  },
  { title: 'DiaryEntryPatch', description: 'Only the fields sent change; `rating: null` removes the entry’s rating (your rating of the movie stays).' },
);
export type EntryChanges = Static<typeof EntryPatch>;

export const Entry = Type.Object(
  {
    id: Type.Integer(),
    user_id: Type.Integer(),
    movie: Type.Object({ id: Type.Integer(), title: Type.String(), year: Nullable(Type.Integer()) }),
    watched_on: Type.String({ format: 'date' }),
    rewatch: Type.Boolean(),
    rating: Nullable(Type.Number({ description: '0.5–5.0 stars, or null' })),
    liked: Type.Boolean(),
    tags: Type.Array(Type.String()),
    created_at: Type.String({ format: 'date-time' }),
  },
  { title: 'DiaryEntry', description: 'One viewing of a movie' },
);
export type Entry = Static<typeof Entry>;

export const DiaryQuery = Type.Object({ ...PageQuery });

export const MovieStatesQuery = IdsQuery('movie');

export const MovieState = Type.Object(
  {
    movie_id: Type.Integer(),
    rating: Nullable(Type.Number({ description: 'Your rating, or null' })),
    review_id: Nullable(Type.Integer({ description: 'Your review of it, or null' })),
    watchlisted: Type.Boolean(),
    logged: Type.Integer({ description: 'Your diary entries of it' }),
  },
  { title: 'MovieState', description: 'What you have done with a movie' },
);
export type MovieState = Static<typeof MovieState>;
