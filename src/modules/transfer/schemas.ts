import { type Static, Type } from 'typebox';
import { Nullable } from '../../http/schemas.js';

/** The largest upload an import takes (community.md): a Letterboxd export of a long-time member is a few MiB. */
export const IMPORT_MAX_BYTES = 20 * 1024 * 1024;

/** One import and one export a minute per member. */
export const TRANSFERS_PER_MINUTE = 1;

const Count = Type.Integer({ minimum: 0 });

export const ImportSummary = Type.Object(
  {
    matched: Type.Integer({ minimum: 0, description: 'Distinct films of the upload found in the catalogue' }),
    unmatched: Type.Array(Type.Object({ name: Type.String(), year: Nullable(Type.Integer()) }), {
      description: 'Films of the upload not found in the catalogue (by title or original title and year), in the order first met',
    }),
    created: Type.Object(
      {
        diary: Count,
        ratings: Count,
        reviews: Count,
        watchlist: Count,
        lists: Count,
      },
      { description: 'What this import made: diary entries (from diary.csv), films whose rating it set (from any file), reviews, watchlist films, lists' },
    ),
    skipped: Type.Array(
      Type.Object({ file: Type.String(), line: Type.Integer(), reason: Type.Literal('review_without_rating') }),
      { description: 'Rows of matched films that could not be imported: a review needs a rating (the row\'s, or the member\'s rating of the film)' },
    ),
  },
  { title: 'ImportSummary' },
);
export type ImportSummary = Static<typeof ImportSummary>;

export const ImportQuery = Type.Object({
  name: Type.Optional(
    Type.String({ minLength: 1, maxLength: 255, description: 'The file name of a CSV sent as the raw body (diary.csv, watchlist.csv…); a multipart part says its own' }),
  ),
});
