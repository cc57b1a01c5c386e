import { type Static, Type } from 'typebox';
import { Nullable } from '../../http/schemas.js';
import { PageQuery, SortQuery } from '../../http/pagination.js';

const Title = Type.String({ minLength: 1, maxLength: 200, description: '1–200 characters; surrounding spaces are trimmed' });
const Year = Nullable(Type.Integer({ minimum: 1878, maximum: 2100, description: 'Release year, 1878–2100, or null' }));
const Synopsis = Nullable(Type.String({ maxLength: 5000, description: 'Up to 5000 characters, or null' }));

export const MovieCreate = Type.Object(
  { title: Title, year: Type.Optional(Year), synopsis: Type.Optional(Synopsis) },
  { title: 'MovieCreate', description: 'A movie. Omitted year or synopsis are stored as null.' },
);

/** What an admin writes of a movie, every field present (an omitted year or synopsis is null). */
export type MovieFields = Required<Static<typeof MovieCreate>>;

export const MoviePatch = Type.Object(
  { title: Type.Optional(Title), year: Type.Optional(Year), synopsis: Type.Optional(Synopsis) },
  { title: 'MoviePatch', description: 'Only the fields sent change.' },
);

export const Movie = Type.Object(
  {
    id: Type.Integer(),
    title: Type.String(),
    year: Nullable(Type.Integer()),
    synopsis: Nullable(Type.String()),
    average_score: Nullable(Type.Number({ description: 'Mean of every rating (with or without a review), in stars, 2 decimals; null when nobody rated it' })),
    review_count: Type.Integer({ description: 'Reviews (ratings with text)' }),
    rating_count: Type.Integer({ description: 'Members who rated it, with or without a review' }),
    rating_histogram: Type.Array(Type.Integer(), {
      minItems: 10,
      maxItems: 10,
      description: 'How many ratings of 0.5, 1.0, … 5.0 stars: ten counts',
    }),
    poster_url: Nullable(Type.String({ description: 'Versioned poster URL, or null' })),
    trailer_url: Nullable(Type.String({ description: 'Versioned trailer URL, or null' })),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { title: 'Movie', description: 'A movie' },
);
export type Movie = Static<typeof Movie>;

export const MOVIE_SORTS = ['id', 'title', 'year', 'rating', 'reviews', 'created'] as const;
export type MovieSort = (typeof MOVIE_SORTS)[number];

export const MovieListQuery = Type.Object({
  ...PageQuery,
  q: Type.Optional(Type.String({ maxLength: 200, description: 'Case-insensitive search in titles; empty means no filter' })),
  ...SortQuery(
    MOVIE_SORTS,
    'Sort key; default id. `rating` is the weighted (Bayesian) average of the README, so one 5-star rating does not top many good ones; ties by id',
    'Default asc, except desc for rating and reviews (best and most reviewed first)',
  ),
});
