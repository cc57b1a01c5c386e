import type { Review } from '../api/client';
import { useI18n } from '../i18n';
import { Stars } from './Stars';

/** Reviews, newest first as the API gives them; each says who wrote it, the score and when. */
export function ReviewList({ reviews, ownId }: { reviews: Review[]; ownId?: number | undefined }) {
  const { t, date } = useI18n();
  return (
    <ol class="reviews">
      {reviews.map((review) => (
        <li key={review.id} class={review.user_id === ownId ? 'review review--own' : 'review'}>
          <article>
            <header class="review__header">
              <span class="review__author">{review.username}</span>
              <Stars value={review.score} label={t.scoreLabel(review.score)} size="sm" />
              <time class="review__date" dateTime={review.created_at}>
                {date(review.created_at)}
              </time>
              {review.updated_at !== review.created_at && <span class="review__date">({t.editedOn(date(review.updated_at))})</span>}
            </header>
            <p class="review__text">{review.review}</p>
          </article>
        </li>
      ))}
    </ol>
  );
}
