import { useI18n } from '../i18n';

/**
 * How a movie's ratings spread over the ten half stars: a small bar chart. To a screen reader it
 * is a list, each bar a sentence ("4.5 stars: 12 ratings"); the bars are drawn to the tallest.
 */
export function RatingHistogram({ histogram, count }: { histogram: number[]; count: number }) {
  const { t, stars } = useI18n();
  if (count === 0) return null;
  const tallest = Math.max(...histogram, 1);
  return (
    <figure class="histogram">
      <figcaption class="histogram__caption">{t.ratingsSpread(count)}</figcaption>
      <ol class="histogram__bars">
        {histogram.map((n, i) => {
          const value = (i + 1) / 2;
          return (
            <li key={value} class="histogram__bar">
              <span class="histogram__fill" style={{ height: `${Math.max(n > 0 ? 6 : 2, (n / tallest) * 100)}%` }} aria-hidden="true" />
              <span class="visually-hidden">{t.histogramBar(stars(value), n)}</span>
            </li>
          );
        })}
      </ol>
      <div class="histogram__scale" aria-hidden="true">
        <span>½★</span>
        <span>5★</span>
      </div>
    </figure>
  );
}
