import { type Static, Type } from 'typebox';
import { type Order, PageQuery, SortQuery } from '../../http/pagination.js';

const ReviewText = Type.String({
  minLength: 1,
  maxLength: 5000,
  description: '1–5000 characters; surrounding white space is trimmed and may not be all there is',
});
const Score = Type.Integer({ minimum: 1, maximum: 5, description: 'Whole number from 1 to 5' });
const Id = Type.Integer({ minimum: 1, maximum: 2147483647 });

export const ReviewCreate = Type.Object({ movie_id: Id, review: ReviewText, score: Score }, { title: 'ReviewCreate' });
export const ReviewReplace = Type.Object({ review: ReviewText, score: Score }, { title: 'ReviewReplace' });
export const ReviewPatch = Type.Object(
  { review: Type.Optional(ReviewText), score: Type.Optional(Score) },
  { title: 'ReviewPatch', description: 'Only the fields sent change.' },
);

export const Review = Type.Object(
  {
    id: Type.Integer(),
    user_id: Type.Integer(),
    username: Type.String(),
    movie: Type.Object({ id: Type.Integer(), title: Type.String() }),
    review: Type.String(),
    score: Type.Integer(),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { title: 'Review', description: 'A review' },
);
export type Review = Static<typeof Review>;

/** What a review list can be ordered by: id (= the course's order), when written, the score. */
export const REVIEW_SORTS = ['id', 'created', 'rating'] as const;
export type ReviewSort = (typeof REVIEW_SORTS)[number];

/** The sort and order a validated query asks for: id ascending by default, a rating sort best first. */
export function reviewOrderOf(query: { sort?: ReviewSort; order?: Order }): { sort: ReviewSort; order: Order } {
  const sort = query.sort ?? 'id';
  return { sort, order: query.order ?? (sort === 'rating' ? 'desc' : 'asc') };
}

const ReviewSortQuery = SortQuery(
  REVIEW_SORTS,
  'Sort key; default id, oldest first, as the course lists them. `created` is the time of writing, `rating` the score (ties by id)',
  'Default asc, except desc for rating (best first)',
);

export const ReviewListQuery = Type.Object({
  ...PageQuery,
  ...ReviewSortQuery,
  movie_id: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647, description: 'Only this movie’s reviews' })),
  user_id: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647, description: 'Only this user’s reviews' })),
});

/** The query of the lists that are already one movie's or one user's. */
export const ReviewPageQuery = Type.Object({ ...PageQuery, ...ReviewSortQuery });
