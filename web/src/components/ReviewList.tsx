import { type Review, api, call } from '../api/client';
import { useAction } from '../hooks/action';
import { useI18n } from '../i18n';
import { useReviewStates } from '../hooks/states';
import { Link } from '../router';
import { useSession } from '../session';
import { Alert } from './Alert';
import { Comments } from './Comments';
import { ConfirmButton } from './ConfirmButton';
import { LikeButton } from './LikeButton';
import { SpoilerText } from './SpoilerText';
import { Stars } from './Stars';
import { UserLink } from './UserLink';

export { UserLink, profilePath } from './UserLink';

interface ReviewItemProps {
  review: Review;
  own: boolean;
  showMovie: boolean;
  /** Whether the signed-in member likes it (undefined: nobody signed in, or not known yet). */
  liked: boolean | undefined;
  onChanged?: (() => Promise<void>) | undefined;
  /** Inside a feed's activity, which already says who and when: only the rating, the text and the rest. */
  compact?: boolean;
}

/** One review: who, which film, the rating and when; its text (behind a warning when it gives the film away), its likes and comments. */
export function ReviewItem({ review, own, showMovie, liked, onChanged, compact = false }: ReviewItemProps) {
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
    <li class={`review${own ? ' review--own' : ''}${compact ? ' review--compact' : ''}`}>
      <article>
        <header class="review__header">
          {!compact && <UserLink username={review.username} />}
          {showMovie && (
            <Link class="review__movie" href={`/movies/${review.movie.id}`}>
              {review.movie.title}
            </Link>
          )}
          <Stars value={review.rating} label={t.ratingLabel(stars(review.rating))} size="sm" />
          {!compact && (
            <time class="review__date" dateTime={review.created_at}>
              {date(review.created_at)}
            </time>
          )}
          {review.updated_at !== review.created_at && <span class="review__date">({t.editedOn(date(review.updated_at))})</span>}
        </header>
        {review.spoiler && !own ? <SpoilerText text={review.review} /> : <p class="review__text">{review.review}</p>}
        <div class="review__social">
          <LikeButton reviewId={review.id} username={review.username} count={review.like_count} liked={own ? undefined : liked} signedIn={!!user && !own} />
          <Comments review={review} />
        </div>
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
  const liked = useReviewStates(reviews.map((r) => r.id));
  return (
    <ol class="reviews">
      {reviews.map((review) => (
        <ReviewItem key={review.id} review={review} own={review.user_id === ownId} showMovie={showMovie} liked={liked?.get(review.id)} onChanged={onChanged} />
      ))}
    </ol>
  );
}
