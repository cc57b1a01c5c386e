import { type MovieState, api, call } from '../api/client';
import { useSession } from '../session';
import { useResource } from './resource';

/**
 * What the signed-in member has done with each of these movies (rating, watchlist, viewings), in
 * one request for a whole page of cards; undefined while nobody is signed in or it is loading.
 */
export function useMovieStates(ids: number[] | null): Map<number, MovieState> | undefined {
  const { user } = useSession();
  const key = user && ids && ids.length > 0 ? `states:list:${user.id}:${ids.join(',')}` : null;
  const states = useResource(key, async (signal) => {
    const { data } = await call(api.GET('/api/v1/users/me/movie-states', { params: { query: { ids: ids!.join(',') } }, signal }));
    return new Map(data.map((s) => [s.movie_id, s]));
  });
  return states.state === 'ready' ? states.data : undefined;
}
