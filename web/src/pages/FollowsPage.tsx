import { useRef } from 'preact/hooks';
import { type User, api, page } from '../api/client';
import { Avatar } from '../components/Avatar';
import { LoadError } from '../components/LoadError';
import { Pagination } from '../components/Pagination';
import { LinesSkeleton } from '../components/Skeleton';
import { profilePath } from '../components/UserLink';
import { useResource } from '../hooks/resource';
import { useTitle } from '../hooks/title';
import { useI18n } from '../i18n';
import { Link, useLocation, withQuery } from '../router';
import { useProfile } from './profile';
import { pageCount, pageParam } from './query';

const PER_PAGE = 30;

export type FollowSide = 'followers' | 'following';

function Follows({ user, side }: { user: User; side: FollowSide }) {
  const { t } = useI18n();
  const { query } = useLocation();
  const current = pageParam(query);
  const heading = useRef<HTMLHeadingElement>(null);
  const name = user.display_name ?? user.username;
  const title = side === 'followers' ? t.followersOf(name) : t.followingOf(name);
  useTitle(title);
  const members = useResource(`${side}:${user.id}:${current}`, (signal) =>
    page(
      side === 'followers'
        ? api.GET('/api/v1/users/{id}/followers', { params: { path: { id: user.id }, query: { page: current, limit: PER_PAGE } }, signal })
        : api.GET('/api/v1/users/{id}/following', { params: { path: { id: user.id }, query: { page: current, limit: PER_PAGE } }, signal }),
    ),
  );
  return (
    <>
      <h1 ref={heading} tabIndex={-1}>
        {title}
      </h1>
      <p>
        <Link href={profilePath(user.username)}>{t.backToProfile(name)}</Link>
      </p>
      {members.state === 'loading' && <LinesSkeleton lines={4} label={t.loading} />}
      {members.state === 'failed' && <LoadError error={members.error} onRetry={members.reload} />}
      {members.state === 'ready' &&
        (members.data.items.length === 0 ? (
          <p class="empty">{side === 'followers' ? t.noFollowers : t.noFollowing}</p>
        ) : (
          <>
            <ul class="members">
              {members.data.items.map((m) => (
                <li key={m.id} class="member">
                  <Avatar user={m} size={32} />
                  <Link href={profilePath(m.username)}>{m.display_name ?? m.username}</Link>
                  {m.display_name && <span class="muted">@{m.username}</span>}
                </li>
              ))}
            </ul>
            <Pagination page={current} pages={pageCount(members.data.total, PER_PAGE)} href={(n) => withQuery(`${profilePath(user.username)}/${side}`, { page: n > 1 ? n : undefined })} onNavigate={() => heading.current?.focus()} />
          </>
        ))}
    </>
  );
}

/** /u/<username>/followers and /following: the members on either side of a member's follows, latest first. */
export function FollowsPage({ username, side }: { username: string; side: FollowSide }) {
  const { t } = useI18n();
  const profile = useProfile(username);
  if (profile.state === 'loading') return <LinesSkeleton lines={4} label={t.loading} />;
  if (profile.state === 'failed') return <LoadError error={profile.error} onRetry={profile.reload} />;
  return <Follows user={profile.data} side={side} />;
}
