import { useRef, useState } from 'preact/hooks';
import { type Activity, type CursorPage, api, cursorPage } from '../api/client';
import { Alert } from '../components/Alert';
import { HomeTabs } from '../components/HomeTabs';
import { LoadError } from '../components/LoadError';
import { Poster } from '../components/Poster';
import { RequireUser } from '../components/RequireUser';
import { ReviewItem } from '../components/ReviewList';
import { LinesSkeleton } from '../components/Skeleton';
import { Stars } from '../components/Stars';
import { UserLink } from '../components/UserLink';
import { useAction } from '../hooks/action';
import { useResource } from '../hooks/resource';
import { useReviewStates } from '../hooks/states';
import { useTitle } from '../hooks/title';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { useSession } from '../session';

const PAGE_SIZE = 20;

const fetchFeed = (before: string | undefined, signal?: AbortSignal): Promise<CursorPage<Activity>> =>
  cursorPage(api.GET('/api/v1/users/me/feed', { params: { query: { limit: PAGE_SIZE, ...(before ? { before } : {}) } }, ...(signal ? { signal } : {}) }));

/** One thing someone did, in a sentence with links, and what it is about (the review, the film). */
function ActivityItem({ activity, liked }: { activity: Activity; liked: boolean | undefined }) {
  const { t, date, stars } = useI18n();
  const who = activity.user.username;
  const verb = { review: t.activityReview, diary: t.activityDiary, watchlist: t.activityWatchlist, list: t.activityList, follow: t.activityFollow }[activity.type];
  // What it is about, as a link: the member followed, the list, or the film.
  const [href, name] = activity.followed
    ? [`/u/${encodeURIComponent(activity.followed.username)}`, activity.followed.username]
    : activity.list
      ? [`/lists/${activity.list.id}`, activity.list.title]
      : [`/movies/${activity.movie?.id ?? 0}`, activity.movie?.title ?? ''];
  return (
    <li class="activity">
      <article aria-label={`${who} ${verb} ${name}`} tabIndex={-1} class={activity.movie ? 'activity__card activity__card--movie' : 'activity__card'}>
        {activity.movie && (
          <div class="activity__poster">
            <Poster movie={activity.movie} sizes="64px" alt="" lazy />
          </div>
        )}
        <div class="activity__body">
          <p class="activity__line">
            <UserLink username={who} /> {verb} <Link href={href}>{name}</Link>{' '}
            <time class="muted" dateTime={activity.created_at}>
              {date(activity.created_at)}
            </time>
          </p>
          {activity.type === 'diary' && activity.diary && activity.diary.rating !== null && <Stars value={activity.diary.rating} label={t.ratingLabel(stars(activity.diary.rating))} size="sm" />}
          {activity.type === 'review' && activity.review && (
            <ol class="reviews">
              <ReviewItem review={activity.review} own={false} showMovie={false} liked={liked} compact />
            </ol>
          )}
          {activity.type === 'list' && activity.list && <p class="muted">{t.filmCount(activity.list.item_count)}</p>}
        </div>
      </article>
    </li>
  );
}

function Feed() {
  const { t } = useI18n();
  useTitle(t.feedTitle);
  const { user } = useSession();
  const first = useResource(`feed:${user?.id ?? 0}`, (signal) => fetchFeed(undefined, signal));
  // Pages past the first, as "Load more" brought them: each follows the cursor of the one before.
  const [more, setMore] = useState<CursorPage<Activity>[]>([]);
  const loading = useAction();
  const list = useRef<HTMLOListElement>(null);
  const pages = first.state === 'ready' ? [first.data, ...more] : [];
  const activities = pages.flatMap((p) => p.items);
  const next = pages.at(-1)?.next;
  const liked = useReviewStates(activities.flatMap((a) => (a.review ? [a.review.id] : [])));

  const loadMore = () =>
    loading.run(async () => {
      const shown = activities.length;
      const page = await fetchFeed(next);
      setMore((m) => [...m, page]);
      // The focus goes to the first new activity, so a keyboard user reads on from there.
      requestAnimationFrame(() => list.current?.querySelectorAll<HTMLElement>('.activity > article')[shown]?.focus());
    });

  return (
    <>
      <HomeTabs current="friends" />
      <h1>{t.feedTitle}</h1>
      {first.state === 'loading' && <LinesSkeleton lines={6} label={t.loading} />}
      {first.state === 'failed' && <LoadError error={first.error} onRetry={first.reload} />}
      {first.state === 'ready' &&
        (activities.length === 0 ? (
          <p class="empty">{t.feedEmpty}</p>
        ) : (
          <>
            <ol class="feed" ref={list}>
              {activities.map((a) => (
                <ActivityItem key={a.id} activity={a} liked={a.review ? liked?.get(a.review.id) : undefined} />
              ))}
            </ol>
            {next ? (
              <p>
                <button type="button" class="button button--secondary" onClick={loadMore} aria-busy={loading.pending ? 'true' : undefined}>
                  {loading.pending ? t.loadingMore : t.loadMore}
                </button>
              </p>
            ) : (
              <p class="muted">{t.feedEnd}</p>
            )}
            <Alert problem={loading.problem} onRetry={loading.retry} />
          </>
        ))}
    </>
  );
}

/** /feed: what the people the member follows did, newest first, "Load more" following the API's cursor. */
export function FeedPage() {
  return <RequireUser>{() => <Feed />}</RequireUser>;
}
