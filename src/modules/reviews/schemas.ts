import { type Static, Type } from 'typebox';
import { type Order, PageQuery, SortQuery } from '../../http/pagination.js';

const ReviewText = Type.String({
  minLength: 1,
  maxLength: 5000,
  description: '1–5000 characters; surrounding white space is trimmed and may not be all there is',
});
const Score = Type.Integer({
  minimum: 1,
  maximum: 5,
  description: 'The course’s whole number from 1 to 5; stored as the rating (score 4 = 4.0 stars). Send it, `rating`, or both when they agree',
});
/** Half stars: the one rating schema of reviews, ratings and diary entries. */
export const Rating = Type.Number({
  minimum: 0.5,
  maximum: 5,
  multipleOf: 0.5,
  description: 'Stars, 0.5–5.0 in steps of 0.5; `score` becomes this rounded half up (3.5 → 4)',
});
const Id = Type.Integer({ minimum: 1, maximum: 2147483647 });
const Spoiler = Type.Boolean({ description: 'The text gives the film away: the web client hides it until the reader asks. Default false; a write without it keeps what the review had' });

const BOTH = 'Send `score` (the course’s 1–5), `rating` (half stars) or both; both must agree (score = rating rounded half up).';
/**
 * `score` is required unless `rating` is sent: said in the schema, so a body missing it is listed
 * with every other invalid field (as the course's, where score is simply required).
 */
const SCORE_UNLESS_RATING = { if: { properties: { rating: {} }, required: ['rating'] }, else: { properties: { score: {} }, required: ['score'] } };

export const ReviewCreate = Type.Object(
  { movie_id: Id, review: ReviewText, score: Type.Optional(Score), rating: Type.Optional(Rating), spoiler: Type.Optional(Spoiler) },
  { title: 'ReviewCreate', description: BOTH, ...SCORE_UNLESS_RATING },
);
export const ReviewReplace = Type.Object({ review: ReviewText, score: Type.Optional(Score), rating: Type.Optional(Rating), spoiler: Type.Optional(Spoiler) }, {
  title: 'ReviewReplace',
  description: BOTH,
  ...SCORE_UNLESS_RATING,
});
export const ReviewPatch = Type.Object(
  { review: Type.Optional(ReviewText), score: Type.Optional(Score), rating: Type.Optional(Rating), spoiler: Type.Optional(Spoiler) },
  { title: 'ReviewPatch', description: `Only the fields sent change. ${BOTH}` },
);

export const Review = Type.Object(
  {
    id: Type.Integer(),
    user_id: Type.Integer(),
    username: Type.String(),
    movie: Type.Object({ id: Type.Integer(), title: Type.String() }),
    review: Type.String(),
    score: Type.Integer({ description: 'The rating rounded half up, 1–5 (the course’s field)' }),
    rating: Type.Number({ description: 'The author’s rating of the movie: 0.5–5.0 stars' }),
    spoiler: Type.Boolean({ description: 'The text gives the film away (hide it until asked)' }),
    like_count: Type.Integer({ description: 'Members who like it' }),
    comment_count: Type.Integer({ description: 'Comments under it' }),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { title: 'Review', description: 'A review' },
);
export type Review = Static<typeof Review>;

/** What a review list can be ordered by: id (= the course's order), when written, the rating, the likes. */
export const REVIEW_SORTS = ['id', 'created', 'rating', 'likes'] as const;
export type ReviewSort = (typeof REVIEW_SORTS)[number];

/** The sort and order a validated query asks for: id ascending by default, a rating or likes sort best first. */
export function reviewOrderOf(query: { sort?: ReviewSort; order?: Order }): { sort: ReviewSort; order: Order } {
  const sort = query.sort ?? 'id';
  return { sort, order: query.order ?? (sort === 'rating' || sort === 'likes' ? 'desc' : 'asc') };
}

const ReviewSortQuery = SortQuery(
  REVIEW_SORTS,
  'Sort key; default id, oldest first, as the course lists them. `created` is the time of writing, `rating` the half-star rating, `likes` the number of likes (ties by id)',
  'Default asc, except desc for rating and likes (best and most liked first)',
);

export const ReviewListQuery = Type.Object({
  ...PageQuery,
  ...ReviewSortQuery,
  movie_id: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647, description: 'Only this movie’s reviews' })),
  user_id: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647, description: 'Only this user’s reviews' })),
});

/** The query of the lists that are already one movie's or one user's. */
export const ReviewPageQuery = Type.Object({ ...PageQuery, ...ReviewSortQuery });

export const RatingBody = Type.Object({ rating: Rating }, { title: 'RatingWrite' });

export const MovieRating = Type.Object(
  { movie_id: Type.Integer(), rating: Type.Number({ description: '0.5–5.0 stars' }), updated_at: Type.String({ format: 'date-time' }) },
  { title: 'Rating', description: 'The caller’s rating of a movie' },
);
export type MovieRating = Static<typeof MovieRating>;
