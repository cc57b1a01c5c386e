import { Type } from 'typebox';
import { PageQuery } from '../../http/pagination.js';

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

export const ReviewListQuery = Type.Object({
  ...PageQuery,
  movie_id: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647, description: 'Only this movie’s reviews' })),
  user_id: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647, description: 'Only this user’s reviews' })),
});

export const PageOnlyQuery = Type.Object({ ...PageQuery });
