import { type Static, Type } from 'typebox';
import { Movie } from '../movies/index.js';
import { Review } from '../reviews/index.js';
import { User } from '../users/index.js';
import { List } from '../lists/index.js';

export const SearchQuery = Type.Object({
  q: Type.String({
    maxLength: 200,
    description: 'The words to find: each as the start of a word, in any order, ignoring case and accents; punctuation only separates words',
  }),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 20, default: 5, description: 'At most this many of each kind, 1–20 (default 5)' })),
});

export const SearchResults = Type.Object(
  {
    movies: Type.Array(Movie, { description: 'Title matches first, then director matches, then synopsis matches; within each, by id' }),
    reviews: Type.Array(Review, {
      description: 'Reviews whose text has the words, newest first. A review marked `spoiler` is listed with its text empty ("")',
    }),
    users: Type.Array(User, { description: 'Members whose username has the words, then those whose display name has them; within each, by id' }),
    lists: Type.Array(List, { description: 'Public lists whose title has the words, then those whose description has them; within each, by id' }),
  },
  { title: 'SearchResults', description: 'A few of each kind of thing that matches, best first' },
);
export type SearchResults = Static<typeof SearchResults>;
