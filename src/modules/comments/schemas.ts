import { type Static, Type } from 'typebox';

export const MAX_COMMENT = 2000;
/** How many comments a member may post in a minute, from any address (429 past it). */
export const COMMENTS_PER_MINUTE = 100;

export const CommentCreate = Type.Object(
  { text: Type.String({ minLength: 1, maxLength: MAX_COMMENT, description: `1–${MAX_COMMENT} characters; surrounding white space is trimmed and may not be all there is` }) },
  { title: 'CommentCreate' },
);

export const Comment = Type.Object(
  {
    id: Type.Integer(),
    review_id: Type.Integer(),
    user_id: Type.Integer(),
    username: Type.String(),
    text: Type.String(),
    created_at: Type.String({ format: 'date-time' }),
  },
  { title: 'Comment', description: 'A comment under a review' },
);
export type Comment = Static<typeof Comment>;
