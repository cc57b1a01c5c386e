import { useI18n } from '../i18n';
import { Stars } from './Stars';

/**
 * A movie's average as stars, the number (one decimal) and how many rated it. The stars' label says the
 * average, so the visible number beside it is hidden from screen readers to avoid saying it twice.
 */
export function Rating({ average, count, size = 'md' }: { average: number | null; count: number; size?: 'sm' | 'md' }) {
  // `count` is the ratings' count: the average is theirs, with or without a review.
  const { t, average: format } = useI18n();
  if (average === null) {
    return (
      <p class="rating">
        <Stars value={0} label={t.noRatingsYet} size={size} />
        <span class="rating__count" aria-hidden="true">
          {t.noRatingsYet}
        </span>
      </p>
    );
  }
  return (
    <p class="rating">
      <Stars value={average} label={t.averageLabel(format(average))} size={size} />
      <span class="rating__value" aria-hidden="true">
        {format(average)}
      </span>
      <span class="rating__count">{t.ratingCount(count)}</span>
    </p>
  );
}
