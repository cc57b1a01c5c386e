import { useRef } from 'preact/hooks';
import { type User, api, page } from '../api/client';
import { LoadError } from '../components/LoadError';
import { Pagination } from '../components/Pagination';
import { RequireUser } from '../components/RequireUser';
import { LinesSkeleton } from '../components/Skeleton';
import { Stars } from '../components/Stars';
import { useResource } from '../hooks/resource';
import { useTitle } from '../hooks/title';
import { useI18n } from '../i18n';
import { Link, useLocation, withQuery } from '../router';
import { pageCount, pageParam } from './query';

const PER_PAGE = 10;

function MyReviews({ user }: { user: User }) {
  const { t, date, stars } = useI18n();
  const { query } = useLocation();
  const current = pageParam(query);
  const heading = useRef<HTMLHeadingElement>(null);
  const reviews = useResource(`my-reviews:${user.id}:${current}`, (signal) =>
    page(api.GET('/api/v1/users/reviews', { params: { query: { page: current, limit: PER_PAGE, order: 'desc' } }, signal })),
  );

  return (
    <>
      <h1 ref={heading} tabIndex={-1}>
        {t.myReviewsTitle}
      </h1>
      {reviews.state === 'loading' && <LinesSkeleton lines={6} label={t.loadingReviews} />}
      {reviews.state === 'failed' && <LoadError error={reviews.error} onRetry={reviews.reload} />}
      {reviews.state === 'ready' &&
        (reviews.data.items.length === 0 ? (
          <div class="empty">
            <p>{t.noMyReviews}</p>
            <Link href="/">{t.browseMovies}</Link>
          </div>
        ) : (
          <>
            <ul class="my-reviews">
              {reviews.data.items.map((review) => (
                <li key={review.id} class="panel">
                  <article aria-labelledby={`my-review-${review.id}`}>
                    <h2 id={`my-review-${review.id}`} class="my-reviews__title">
                      <Link href={`/movies/${review.movie.id}`}>{review.movie.title}</Link>
                    </h2>
                    <p class="review__header">
                      <Stars value={review.rating} label={t.ratingLabel(stars(review.rating))} size="sm" />
                      <time class="review__date" dateTime={review.updated_at}>
                        {date(review.updated_at)}
                      </time>
                    </p>
                    <p class="review__text">{review.review}</p>
                    <Link class="small-link" href={`/movies/${review.movie.id}`} aria-label={t.editReview(review.movie.title)}>
                      {t.edit}
                    </Link>
                  </article>
                </li>
              ))}
            </ul>
            <Pagination
              page={current}
              pages={pageCount(reviews.data.total, PER_PAGE)}
              href={(n) => withQuery('/my-reviews', { page: n > 1 ? n : undefined })}
              onNavigate={() => heading.current?.focus()}
            />
          </>
        ))}
    </>
  );
}

export function MyReviewsPage() {
  const { t } = useI18n();
  useTitle(t.myReviewsTitle);
  return <RequireUser>{(user) => <MyReviews user={user} />}</RequireUser>;
}
