import { type User, api, call } from '../api/client';
import { useResource } from '../hooks/resource';

/** A member's public profile by username (any case), as the profile pages load it. */
export function useProfile(username: string) {
  return useResource<User>(`profile:${username.toLowerCase()}`, async (signal) => (await call(api.GET('/api/v1/profiles/{username}', { params: { path: { username } }, signal }))).data);
}
