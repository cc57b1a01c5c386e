import { type Static, Type } from 'typebox';
import { Nullable } from '../../http/schemas.js';
import { Movie } from '../movies/index.js';

/** The limits of community.md, Lists. */
export const MAX_LISTS = 1000;
export const MAX_ITEMS = 5000;

const Title = Type.String({ minLength: 1, maxLength: 200, description: '1–200 characters; surrounding spaces are trimmed' });
const Description = Nullable(Type.String({ maxLength: 5000, description: 'Up to 5000 characters, trimmed; empty or null clears it' }));
const Ranked = Type.Boolean({ description: 'A ranked list shows its positions (1, 2, 3…); default false' });
const Public = Type.Boolean({ description: 'A private list is seen by its owner alone (404 to everyone else); default true' });
const Note = Nullable(Type.String({ maxLength: 1000, description: 'Up to 1000 characters, trimmed; empty or null clears it' }));

export const ListCreate = Type.Object(
  { title: Title, description: Type.Optional(Description), ranked: Type.Optional(Ranked), public: Type.Optional(Public) },
  { title: 'ListCreate', description: `A list of movies; a member may have at most ${MAX_LISTS}.` },
);
export const ListPatch = Type.Object(
  { title: Type.Optional(Title), description: Type.Optional(Description), ranked: Type.Optional(Ranked), public: Type.Optional(Public) },
  { title: 'ListPatch', description: 'Only the fields sent change.' },
);
export type ListFields = { title: string; description: string | null; ranked: boolean; public: boolean };

export const List = Type.Object(
  {
    id: Type.Integer(),
    user_id: Type.Integer(),
    title: Type.String(),
    description: Nullable(Type.String()),
    ranked: Type.Boolean(),
    public: Type.Boolean(),
    item_count: Type.Integer({ description: 'Movies on it' }),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time', description: 'When it or its items last changed' }),
  },
  { title: 'List', description: 'A member’s list of movies' },
);
export type List = Static<typeof List>;

export const ItemPut = Type.Object(
  {
    position: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_ITEMS,
        description: 'Where it goes, from 1; past the end means last. A new item without one goes last; an item already there without one stays where it is',
      }),
    ),
    note: Type.Optional(Note),
  },
  { title: 'ListItemWrite', description: `Adds the movie, or moves it and/or changes its note. At most ${MAX_ITEMS} movies a list.` },
);

export const Item = Type.Object(
  { position: Type.Integer({ description: '1-based; positions are always 1…n' }), movie: Movie, note: Nullable(Type.String()) },
  { title: 'ListItem', description: 'A movie on a list' },
);
export type Item = Static<typeof Item>;

export const MovieIdParams = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: 2147483647, description: 'A list id' }),
  movie_id: Type.Integer({ minimum: 1, maximum: 2147483647, description: 'A movie id' }),
});
