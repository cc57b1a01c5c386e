import { type Review, api, call } from '../api/client';
import { useAction } from '../hooks/action';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { useSession } from '../session';
import { Alert } from './Alert';
import { ConfirmButton } from './ConfirmButton';
import { Stars } from './Stars';

export const profilePath = (username: string): string => `/u/${encodeURIComponent(username)}`;

/** A member's name as shown everywhere: a link to their profile. */
export function UserLink({ username }: { username: string }) {
  return (
    <Link class="user-link" href={profilePath(username)}>
      {username}
    </Link>
  );
}

function ReviewItem({ review, own, showMovie, onChanged }: { review: Review; own: boolean; showMovie: boolean; onChanged?: (() => Promise<void>) | undefined }) {
  const { t, date, stars } = useI18n();
  const { user } = useSession();
  const action = useAction();
  // Moderation: an administrator may delete anyone's review (its author does so from the form).
  const moderate = user?.role === 'admin' && !own && onChanged !== undefined;
  const remove = () =>
    action.run(async () => {
      await call(api.DELETE('/api/v1/reviews/{id}', { params: { path: { id: review.id } } }));
      await onChanged?.();
    });
  return (
    <li class={own ? 'review review--own' : 'review'}>
      <article>
        <header class="review__header">
          <UserLink username={review.username} />
          {showMovie && (
            <Link class="review__movie" href={`/movies/${review.movie.id}`}>
              {review.movie.title}
            </Link>
          )}
          <Stars value={review.rating} label={t.ratingLabel(stars(review.rating))} size="sm" />
          <time class="review__date" dateTime={review.created_at}>
            {date(review.created_at)}
          </time>
          {review.updated_at !== review.created_at && <span class="review__date">({t.editedOn(date(review.updated_at))})</span>}
        </header>
        <p class="review__text">{review.review}</p>
        {moderate && (
          <div class="review__moderation">
            <ConfirmButton label={t.deleteReviewOf(review.username)} question={t.moderateQuestion} confirm={t.deleteReviewConfirm} onConfirm={remove} />
            <Alert problem={action.problem} onRetry={action.retry} />
          </div>
        )}
      </article>
    </li>
  );
}

/** Reviews in the order the API gives them; each says who wrote it (a link to them), the rating and when. */
export function ReviewList({
  reviews,
  ownId,
  showMovie = false,
  onChanged,
}: {
  reviews: Review[];
  ownId?: number | undefined;
  showMovie?: boolean;
  onChanged?: () => Promise<void>;
}) {
  return (
    <ol class="reviews">
      {reviews.map((review) => (
        <ReviewItem key={review.id} review={review} own={review.user_id === ownId} showMovie={showMovie} onChanged={onChanged} />
      ))}
    </ol>
  );
}
