import { Type } from 'typebox';

export const MovieIdParams = Type.Object({
  movie_id: Type.Integer({ minimum: 1, maximum: 2147483647, description: 'A movie id' }),
});
