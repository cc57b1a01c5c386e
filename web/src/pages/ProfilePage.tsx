import { type User, api, page } from '../api/client';
import { Avatar } from '../components/Avatar';
import { DiaryList } from '../components/DiaryList';
import { FollowButton } from '../components/FollowButton';
import { ListCards } from '../components/ListCard';
import { LoadError } from '../components/LoadError';
import { MovieCard } from '../components/MovieCard';
import { ReviewList } from '../components/ReviewList';
import { LinesSkeleton } from '../components/Skeleton';
import { useResource } from '../hooks/resource';
import { useTitle } from '../hooks/title';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { useSession } from '../session';
import { useProfile } from './profile';
import { listsPath } from './UserListsPage';

const RECENT = 5;
const LISTS_PREVIEW = 4;
const WATCHLIST_PREVIEW = 6;

export const diaryPath = (username: string): string => `/u/${encodeURIComponent(username)}/diary`;
export const watchlistPath = (username: string): string => `/u/${encodeURIComponent(username)}/watchlist`;

/** The name, avatar, bio and counts at the top of a member's pages. */
export function ProfileHead({ user, level = 1, onChanged }: { user: User; level?: 1 | 2; onChanged?: () => Promise<void> }) {
  const { t, date } = useI18n();
  const { user: me } = useSession();
  const Heading = level === 1 ? 'h1' : 'h2';
  return (
    <header class="profile-head">
      <Avatar user={user} size={96} />
      <div class="profile-head__text">
        <Heading class="profile-head__name">{user.display_name ?? user.username}</Heading>
        <p class="muted">
          {user.display_name && <span class="profile-head__username">@{user.username} · </span>}
          {t.memberSince(date(user.created_at))}
        </p>
        {level === 1 && user.bio && <p class="profile-head__bio">{user.bio}</p>}
        <ul class="profile-head__counts">
          <li>{t.reviewCount(user.review_count)}</li>
          <li>{t.ratingCount(user.rating_count)}</li>
          <li>{t.diaryCount(user.diary_count)}</li>
          <li>
            <Link href={`/u/${encodeURIComponent(user.username)}/followers`}>{t.followerCount(user.follower_count)}</Link>
          </li>
          <li>
            <Link href={`/u/${encodeURIComponent(user.username)}/following`}>{t.followingCount(user.following_count)}</Link>
          </li>
        </ul>
        {level === 1 && onChanged && <FollowButton user={user} onChanged={onChanged} />}
        {level === 1 && me?.id === user.id && (
          <p>
            <Link class="button button--secondary" href="/account/profile">
              {t.editProfile}
            </Link>
          </p>
        )}
      </div>
    </header>
  );
}

function Profile({ user, reload }: { user: User; reload: () => Promise<void> }) {
  const { t } = useI18n();
  const { user: me } = useSession();
  useTitle(user.display_name ?? user.username);
  const diary = useResource(`diary:${user.id}:recent`, (signal) =>
    page(api.GET('/api/v1/users/{id}/diary', { params: { path: { id: user.id }, query: { limit: RECENT } }, signal })),
  );
  const reviews = useResource(`reviews:${user.id}:recent`, (signal) =>
    page(api.GET('/api/v1/reviews', { params: { query: { user_id: user.id, sort: 'created', order: 'desc', limit: RECENT } }, signal })),
  );
  const lists = useResource(`lists:${user.id}:${me?.id ?? 0}:preview`, (signal) =>
    page(api.GET('/api/v1/users/{id}/lists', { params: { path: { id: user.id }, query: { limit: LISTS_PREVIEW } }, signal })),
  );
  const watchlist = useResource(`watchlist:${user.id}:preview`, (signal) =>
    page(api.GET('/api/v1/users/{id}/watchlist', { params: { path: { id: user.id }, query: { limit: WATCHLIST_PREVIEW } }, signal })),
  );

  return (
    <>
      <ProfileHead user={user} onChanged={reload} />
      <section class="profile-section" aria-labelledby="recent-diary">
        <h2 id="recent-diary">{t.recentDiary}</h2>
        {diary.state === 'loading' && <LinesSkeleton label={t.loading} />}
        {diary.state === 'failed' && <LoadError error={diary.error} onRetry={diary.reload} />}
        {diary.state === 'ready' && (diary.data.items.length === 0 ? <p class="empty">{t.noDiary}</p> : <DiaryList entries={diary.data.items} headingLevel={3} />)}
        {diary.state === 'ready' && diary.data.total > 0 && <Link href={diaryPath(user.username)}>{t.fullDiary(diary.data.total)}</Link>}
      </section>
      <section class="profile-section" aria-labelledby="recent-reviews">
        <h2 id="recent-reviews">{t.recentReviews}</h2>
        {reviews.state === 'loading' && <LinesSkeleton label={t.loading} />}
        {reviews.state === 'failed' && <LoadError error={reviews.error} onRetry={reviews.reload} />}
        {reviews.state === 'ready' && (reviews.data.items.length === 0 ? <p class="empty">{t.noReviewsBy}</p> : <ReviewList reviews={reviews.data.items} showMovie />)}
      </section>
      <section class="profile-section" aria-labelledby="lists-preview">
        <h2 id="lists-preview">{t.lists}</h2>
        {me?.id === user.id && (
          <p>
            <Link class="button button--secondary" href="/lists/new">
              {t.newList}
            </Link>
          </p>
        )}
        {lists.state === 'loading' && <LinesSkeleton label={t.loading} />}
        {lists.state === 'failed' && <LoadError error={lists.error} onRetry={lists.reload} />}
        {lists.state === 'ready' && <ListCards lists={lists.data.items} />}
        {lists.state === 'ready' && lists.data.total > 0 && <Link href={listsPath(user.username)}>{t.allLists(lists.data.total)}</Link>}
      </section>
      <section class="profile-section" aria-labelledby="watchlist-preview">
        <h2 id="watchlist-preview">{t.watchlistTitle}</h2>
        {watchlist.state === 'loading' && <LinesSkeleton label={t.loading} />}
        {watchlist.state === 'failed' && <LoadError error={watchlist.error} onRetry={watchlist.reload} />}
        {watchlist.state === 'ready' &&
          (watchlist.data.items.length === 0 ? (
            <p class="empty">{t.emptyWatchlist}</p>
          ) : (
            <ul class="grid grid--small">
              {watchlist.data.items.map((movie) => (
                <li key={movie.id}>
                  <MovieCard movie={movie} />
                </li>
              ))}
            </ul>
          ))}
        {watchlist.state === 'ready' && watchlist.data.total > 0 && <Link href={watchlistPath(user.username)}>{t.fullWatchlist(watchlist.data.total)}</Link>}
      </section>
    </>
  );
}

/** /u/<username>: a member's profile, their latest viewings, reviews and watchlist. */
export function ProfilePage({ username }: { username: string }) {
  const { t } = useI18n();
  const profile = useProfile(username);
  if (profile.state === 'loading') return <LinesSkeleton lines={6} label={t.loading} />;
  if (profile.state === 'failed') return <LoadError error={profile.error} onRetry={profile.reload} />;
  return <Profile user={profile.data} reload={profile.reload} />;
}
