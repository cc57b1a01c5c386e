import { type Static, Type } from 'typebox';
import { ACTIVITY_TYPES, type ActivityType } from '../../domain/enums.js';
import { MAX_LIMIT } from '../../http/pagination.js';
import { Nullable } from '../../http/schemas.js';
import { Entry } from '../diary/index.js';
import { List } from '../lists/index.js';
import { Movie } from '../movies/index.js';
import { Review } from '../reviews/index.js';

const MemberRef = Type.Object({ id: Type.Integer(), username: Type.String() }, { title: 'MemberRef' });

export const Activity = Type.Object(
  {
    id: Type.Integer(),
    type: Type.Unsafe<ActivityType>({ type: 'string', enum: [...ACTIVITY_TYPES], description: 'What was done: which of the fields below is set' }),
    created_at: Type.String({ format: 'date-time' }),
    user: MemberRef,
    movie: Nullable(Movie),
    review: Nullable(Review),
    diary: Nullable(Entry),
    list: Nullable(List),
    followed: Nullable(MemberRef),
  },
  { title: 'Activity', description: 'Something a member you follow did' },
);
export type Activity = Static<typeof Activity>;

export const FeedQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT, default: 10, description: `Activities per page, 1–${MAX_LIMIT}` })),
  before: Type.Optional(Type.String({ minLength: 1, maxLength: 40, description: 'The cursor of the page to read, from the `Link: rel="next"` of the previous one' })),
});
