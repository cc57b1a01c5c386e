import { useI18n } from '../i18n';
import { Stars } from './Stars';

/**
 * A movie's average as stars, the number and the review count. The stars' label says the
 * average, so the visible number beside it is hidden from screen readers to avoid saying it twice.
 */
export function Rating({ average, count, size = 'md' }: { average: number | null; count: number; size?: 'sm' | 'md' }) {
  const { t, number } = useI18n();
  if (average === null) {
    return (
      <p class="rating">
        <Stars value={0} label={t.noReviewsYet} size={size} />
        <span class="rating__count" aria-hidden="true">
          {t.noReviewsYet}
        </span>
      </p>
    );
  }
  return (
    <p class="rating">
      <Stars value={average} label={t.averageLabel(number(average))} size={size} />
      <span class="rating__value" aria-hidden="true">
        {number(average)}
      </span>
      <span class="rating__count">{t.reviewCount(count)}</span>
    </p>
  );
}
