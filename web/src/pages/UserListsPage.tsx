import { useRef } from 'preact/hooks';
import { type User, api, page } from '../api/client';
import { ListCards } from '../components/ListCard';
import { LoadError } from '../components/LoadError';
import { Pagination } from '../components/Pagination';
import { LinesSkeleton } from '../components/Skeleton';
import { profilePath } from '../components/UserLink';
import { useResource } from '../hooks/resource';
import { useTitle } from '../hooks/title';
import { useI18n } from '../i18n';
import { Link, useLocation, withQuery } from '../router';
import { useSession } from '../session';
import { useProfile } from './profile';
import { pageCount, pageParam } from './query';

const PER_PAGE = 20;

export const listsPath = (username: string): string => `${profilePath(username)}/lists`;

function Lists({ user }: { user: User }) {
  const { t } = useI18n();
  const { user: me } = useSession();
  const { query } = useLocation();
  const current = pageParam(query);
  const heading = useRef<HTMLHeadingElement>(null);
  const name = user.display_name ?? user.username;
  useTitle(t.listsOf(name));
  // Keyed by who asks too: the owner sees their private lists, others do not.
  const lists = useResource(`lists:${user.id}:${me?.id ?? 0}:${current}`, (signal) =>
    page(api.GET('/api/v1/users/{id}/lists', { params: { path: { id: user.id }, query: { page: current, limit: PER_PAGE } }, signal })),
  );
  return (
    <>
      <h1 ref={heading} tabIndex={-1}>
        {t.listsOf(name)}
      </h1>
      <p>
        <Link href={profilePath(user.username)}>{t.backToProfile(name)}</Link>
        {me?.id === user.id && (
          <>
            {' · '}
            <Link href="/lists/new">{t.newList}</Link>
          </>
        )}
      </p>
      {lists.state === 'loading' && <LinesSkeleton lines={4} label={t.loading} />}
      {lists.state === 'failed' && <LoadError error={lists.error} onRetry={lists.reload} />}
      {lists.state === 'ready' && (
        <>
          <ListCards lists={lists.data.items} />
          {lists.data.items.length > 0 && (
            <Pagination page={current} pages={pageCount(lists.data.total, PER_PAGE)} href={(n) => withQuery(listsPath(user.username), { page: n > 1 ? n : undefined })} onNavigate={() => heading.current?.focus()} />
          )}
        </>
      )}
    </>
  );
}

/** /u/<username>/lists: a member's lists, newest first (their private ones only to them). */
export function UserListsPage({ username }: { username: string }) {
  const { t } = useI18n();
  const profile = useProfile(username);
  if (profile.state === 'loading') return <LinesSkeleton lines={4} label={t.loading} />;
  if (profile.state === 'failed') return <LoadError error={profile.error} onRetry={profile.reload} />;
  return <Lists user={profile.data} />;
}
