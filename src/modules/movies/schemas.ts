import { type Static, Type } from 'typebox';
import { Nullable } from '../../http/schemas.js';
import { PageQuery, SortQuery } from '../../http/pagination.js';
import { GENRES, type Genre } from '../../domain/enums.js';
import { MOVIE_LIMITS as L } from '../../domain/movies.js';

const Title = Type.String({ minLength: 1, maxLength: L.title, description: `1–${L.title} characters; surrounding spaces are trimmed` });
const Year = Nullable(Type.Integer({ minimum: L.firstYear, maximum: L.lastYear, description: `Release year, ${L.firstYear}–${L.lastYear}, or null` }));
const Synopsis = Nullable(Type.String({ maxLength: L.synopsis, description: `Up to ${L.synopsis} characters, or null` }));
const OriginalTitle = Nullable(Type.String({ minLength: 1, maxLength: L.title, description: `The title in its own language, 1–${L.title} characters, or null` }));
const Directors = Type.Array(Type.String({ minLength: 1, maxLength: L.directorName, pattern: '\\S', description: `A name, 1–${L.directorName} characters` }), {
  maxItems: L.directors,
  uniqueItems: true,
  description: `Up to ${L.directors} names, in credit order`,
});
const GenreId = Type.Unsafe<Genre>({ type: 'string', enum: [...GENRES], description: 'One of IMDb’s genres, in lower case' });
const Genres = Type.Array(GenreId, { uniqueItems: true, description: 'Genres from the list of the README (IMDb’s), each once' });
const Runtime = Nullable(Type.Integer({ minimum: 1, maximum: L.runtime, description: `Minutes, 1–${L.runtime.toLocaleString('en-US')}, or null` }));
const ImdbId = Nullable(Type.String({ pattern: '^tt[0-9]{7,9}$', description: 'IMDb’s id: `tt` and 7–9 digits, unique; or null' }));

const EDITABLE = {
  title: Title,
  year: Year,
  synopsis: Synopsis,
  original_title: OriginalTitle,
  directors: Directors,
  genres: Genres,
  runtime: Runtime,
  imdb_id: ImdbId,
};

/** The fields of a body an admin may write, without whatever else it carries (unknown fields are ignored). */
export function editableOf<T extends Partial<MovieFields>>(body: T): Partial<MovieFields> {
  const fields: Record<string, unknown> = {};
  for (const key of Object.keys(EDITABLE)) if ((body as Record<string, unknown>)[key] !== undefined) fields[key] = (body as Record<string, unknown>)[key];
  return fields as Partial<MovieFields>;
}

/** The body fields trimmed before validation. */
export const TRIMMED_FIELDS = ['title', 'original_title', 'directors'];

export const MovieCreate = Type.Object(
  {
    title: Title,
    year: Type.Optional(Year),
    synopsis: Type.Optional(Synopsis),
    original_title: Type.Optional(OriginalTitle),
    directors: Type.Optional(Directors),
    genres: Type.Optional(Genres),
    runtime: Type.Optional(Runtime),
    imdb_id: Type.Optional(ImdbId),
  },
  { title: 'MovieCreate', description: 'A movie. Omitted fields are stored empty: null, or [] for directors and genres.' },
);

/** What an admin writes of a movie, every field present (an omitted one is null or []). */
export type MovieFields = Required<Static<typeof MovieCreate>>;

/** The movie fields an omitted one takes: what a PUT or a POST without it stores. */
export const EMPTY_MOVIE_FIELDS: Omit<MovieFields, 'title'> = { year: null, synopsis: null, original_title: null, directors: [], genres: [], runtime: null, imdb_id: null };

export const MoviePatch = Type.Partial(Type.Object(EDITABLE), { title: 'MoviePatch', description: 'Only the fields sent change.' });

export const Movie = Type.Object(
  {
    id: Type.Integer(),
    title: Type.String(),
    year: Nullable(Type.Integer()),
    synopsis: Nullable(Type.String()),
    original_title: Nullable(Type.String({ description: 'The title in its own language, or null' })),
    directors: Type.Array(Type.String(), { description: 'Names, in credit order' }),
    genres: Type.Array(GenreId),
    runtime: Nullable(Type.Integer({ description: 'Minutes, or null' })),
    imdb_id: Nullable(Type.String({ description: 'IMDb’s id (`tt…`), or null' })),
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
  q: Type.Optional(
    Type.String({
      maxLength: 200,
      description:
        'Full-text search of titles, original titles, directors and synopses: every word, in any order, as the start of a word, ignoring case and accents. Without `sort`, best match first: title matches, then director matches, then synopsis matches, each by id. Empty means no filter',
    }),
  ),
  genre: Type.Optional(GenreId),
  decade: Type.Optional(Type.Integer({ minimum: 1870, maximum: 2100, multipleOf: 10, description: 'Released in this decade: 1990 is 1990–1999' })),
  year: Type.Optional(Type.Integer({ minimum: L.firstYear, maximum: L.lastYear, description: 'Released this year' })),
  director: Type.Optional(Type.String({ minLength: 1, maxLength: L.directorName, description: 'Directed by this person: the whole name, ignoring case and accents' })),
  ...SortQuery(
    MOVIE_SORTS,
    'Sort key; default id, or best match with `q`. `rating` is the weighted (Bayesian) average of the README, so one 5-star rating does not top many good ones; ties by id',
    'Default asc, except desc for rating and reviews (best and most reviewed first)',
  ),
});
