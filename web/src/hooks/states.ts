import { type MovieState, api, call } from '../api/client';
import { useRef } from 'preact/hooks';
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

/** Which of these reviews the signed-in member likes (one request for a page of reviews). */
export function useReviewStates(ids: number[] | null): Map<number, boolean> | undefined {
  const { user } = useSession();
  // While a longer page's states load ("Load more"), the ones already known stay shown.
  const last = useRef<Map<number, boolean> | undefined>(undefined);
  const key = user && ids && ids.length > 0 ? `review-states:${user.id}:${ids.join(',')}` : null;
  const states = useResource(key, async (signal) => {
    const { data } = await call(api.GET('/api/v1/users/me/review-states', { params: { query: { ids: ids!.join(',') } }, signal }));
    return new Map(data.map((s) => [s.review_id, s.liked]));
  });
  if (states.state === 'ready') last.current = states.data;
  return states.state === 'ready' ? states.data : user ? last.current : undefined;
}

/** Whether the signed-in member follows this one; undefined while unknown (or nobody is signed in). */
export function useFollowing(userId: number): { following: boolean | undefined; reload: () => Promise<void> } {
  const { user } = useSession();
  const key = user && user.id !== userId ? `follow-states:${user.id}:${userId}` : null;
  const state = useResource(key, async (signal) => {
    const { data } = await call(api.GET('/api/v1/users/me/follow-states', { params: { query: { ids: String(userId) } }, signal }));
    return data[0]?.following ?? false;
  });
  return { following: state.state === 'ready' ? state.data : undefined, reload: state.reload };
}
