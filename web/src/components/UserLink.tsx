import { Link } from '../router';

export const profilePath = (username: string): string => `/u/${encodeURIComponent(username)}`;

/** A member's name as shown everywhere: a link to their profile. */
export function UserLink({ username }: { username: string }) {
  return (
    <Link class="user-link" href={profilePath(username)}>
      {username}
    </Link>
  );
}
