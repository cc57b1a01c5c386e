import { useRef } from 'preact/hooks';
import { type User, api, page } from '../api/client';
import { DiaryList } from '../components/DiaryList';
import { LoadError } from '../components/LoadError';
import { Pagination } from '../components/Pagination';
import { LinesSkeleton } from '../components/Skeleton';
import { useResource } from '../hooks/resource';
import { useTitle } from '../hooks/title';
import { useI18n } from '../i18n';
import { Link, useLocation, withQuery } from '../router';
import { profilePath } from '../components/UserLink';
import { useProfile } from './profile';
import { diaryPath } from './ProfilePage';
import { pageCount, pageParam } from './query';

const PER_PAGE = 50;

function Diary({ user }: { user: User }) {
  const { t } = useI18n();
  const { query } = useLocation();
  const current = pageParam(query);
  const heading = useRef<HTMLHeadingElement>(null);
  const name = user.display_name ?? user.username;
  useTitle(t.diaryOf(name));
  const entries = useResource(`diary:${user.id}:${current}`, (signal) =>
    page(api.GET('/api/v1/users/{id}/diary', { params: { path: { id: user.id }, query: { page: current, limit: PER_PAGE } }, signal })),
  );
  return (
    <>
      <h1 ref={heading} tabIndex={-1}>
        {t.diaryOf(name)}
      </h1>
      <p>
        <Link href={profilePath(user.username)}>{t.backToProfile(name)}</Link>
      </p>
      {entries.state === 'loading' && <LinesSkeleton lines={8} label={t.loading} />}
      {entries.state === 'failed' && <LoadError error={entries.error} onRetry={entries.reload} />}
      {entries.state === 'ready' &&
        (entries.data.items.length === 0 ? (
          <p class="empty">{t.noDiary}</p>
        ) : (
          <>
            <DiaryList entries={entries.data.items} />
            <Pagination
              page={current}
              pages={pageCount(entries.data.total, PER_PAGE)}
              href={(n) => withQuery(diaryPath(user.username), { page: n > 1 ? n : undefined })}
              onNavigate={() => heading.current?.focus()}
            />
          </>
        ))}
    </>
  );
}

/** /u/<username>/diary: every viewing a member logged, latest first, by month. */
export function DiaryPage({ username }: { username: string }) {
  const { t } = useI18n();
  const profile = useProfile(username);
  if (profile.state === 'loading') return <LinesSkeleton lines={8} label={t.loading} />;
  if (profile.state === 'failed') return <LoadError error={profile.error} onRetry={profile.reload} />;
  return <Diary user={profile.data} />;
}
