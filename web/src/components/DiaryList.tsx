import type { Entry } from '../api/client';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { Stars } from './Stars';

/** Entries (latest first, as the API lists them) under a heading per month: "November 2026". */
export function DiaryList({ entries, headingLevel = 2 }: { entries: Entry[]; headingLevel?: 2 | 3 }) {
  const { t, month, day, stars } = useI18n();
  const months: { key: string; entries: Entry[] }[] = [];
  for (const entry of entries) {
    const key = entry.watched_on.slice(0, 7);
    if (months.at(-1)?.key !== key) months.push({ key, entries: [] });
    months.at(-1)!.entries.push(entry);
  }
  const Heading = headingLevel === 2 ? 'h2' : 'h3';
  return (
    <div class="diary">
      {months.map(({ key, entries: these }) => (
        <section key={key} class="diary__month" aria-labelledby={`month-${key}`}>
          <Heading id={`month-${key}`} class="diary__month-title">
            {month(key)}
          </Heading>
          <ol class="diary__entries">
            {these.map((entry) => (
              <li key={entry.id} class="diary__entry">
                <time class="diary__day" dateTime={entry.watched_on}>
                  {day(entry.watched_on)}
                </time>
                <Link class="diary__movie" href={`/movies/${entry.movie.id}`}>
                  {entry.movie.title}
                </Link>
                {entry.movie.year !== null && <span class="muted">{entry.movie.year}</span>}
                {entry.rating !== null && <Stars value={entry.rating} label={t.ratingLabel(stars(entry.rating))} size="sm" />}
                {entry.rewatch && <span class="badge">{t.rewatch}</span>}
                {entry.liked && <span class="badge badge--liked">{t.liked}</span>}
                {entry.tags.length > 0 && (
                  <ul class="tags" aria-label={t.tags}>
                    {entry.tags.map((tag) => (
                      <li key={tag} class="tag">
                        {tag}
                      </li>
                    ))}
                  </ul>
                )}
              </li>
            ))}
          </ol>
        </section>
      ))}
    </div>
  );
}
