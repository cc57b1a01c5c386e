import type { ComponentChildren } from 'preact';
import { api, call } from '../api/client';
import { Avatar } from '../components/Avatar';
import { ListCard } from '../components/ListCard';
import { LoadError } from '../components/LoadError';
import { LinesSkeleton } from '../components/Skeleton';
import { Stars } from '../components/Stars';
import { profilePath } from '../components/UserLink';
import { useResource } from '../hooks/resource';
import { useTitle } from '../hooks/title';
import { useI18n } from '../i18n';
import { Link, useLocation } from '../router';
import { catalogueHref } from './query';

// A page of each kind; "All matching movies" pages through the rest of the films.
const PER_GROUP = 10;

function Group({ id, title, empty, count, action, children }: { id: string; title: string; empty: string; count: number; action?: ComponentChildren; children: ComponentChildren }) {
  return (
    <section class="search-group" aria-labelledby={id}>
      <div class="search-group__head">
        <h2 id={id}>{title}</h2>
        {action}
      </div>
      {count === 0 ? <p class="empty">{empty}</p> : children}
    </section>
  );
}

/** /search?q=: what matches in each kind, films, reviews, members and public lists, best first. */
export function SearchPage() {
  const { t, stars } = useI18n();
  const { query } = useLocation();
  const q = (query.get('q') ?? '').trim();
  useTitle(q ? `${t.searchTitle}: ${q}` : t.searchTitle);
  // Any text: a one-letter title (M, Z) is a title too; only the suggestions wait for two letters.
  const results = useResource(q !== '' ? `search:${q}` : null, async (signal) => (await call(api.GET('/api/v1/search', { params: { query: { q, limit: PER_GROUP } }, signal }))).data);

  if (q === '') {
    return (
      <>
        <h1>{t.searchTitle}</h1>
        <p class="empty">{t.searchPrompt}</p>
      </>
    );
  }
  return (
    <>
      <h1>{t.resultsFor(q)}</h1>
      {results.state === 'loading' && <LinesSkeleton lines={6} label={t.loading} />}
      {results.state === 'failed' && <LoadError error={results.error} onRetry={results.reload} />}
      {results.state === 'ready' && (
        <>
          <Group
            id="found-movies"
            title={t.searchMovies}
            empty={t.noMovieResults}
            count={results.data.movies.length}
            action={results.data.movies.length > 0 && <Link href={catalogueHref({ q })}>{t.allMatchingMovies}</Link>}
          >
            <ul class="results">
              {results.data.movies.map((m) => (
                <li key={m.id}>
                  <Link href={`/movies/${m.id}`}>{m.title}</Link> <span class="muted">{m.year ?? t.noYear}</span>
                  {m.directors.length > 0 && <p class="muted">{m.directors.join(', ')}</p>}
                </li>
              ))}
            </ul>
          </Group>
          <Group id="found-reviews" title={t.searchReviews} empty={t.noReviewResults} count={results.data.reviews.length}>
            <ul class="results">
              {results.data.reviews.map((r) => (
                <li key={r.id}>
                  <Link href={`/movies/${r.movie.id}`}>{t.reviewBy(r.username, r.movie.title)}</Link>{' '}
                  <Stars value={r.rating} label={t.ratingLabel(stars(r.rating))} size="sm" />
                  {/* The API sends a spoiler's text empty: say why it is here rather than show nothing. */}
                  {r.spoiler ? <p class="muted">{t.spoilerMatched}</p> : <p>{r.review}</p>}
                </li>
              ))}
            </ul>
          </Group>
          <Group id="found-members" title={t.searchMembers} empty={t.noMemberResults} count={results.data.users.length}>
            <ul class="results">
              {results.data.users.map((u) => (
                <li key={u.id} class="member">
                  <Avatar user={u} size={32} />
                  <Link href={profilePath(u.username)}>{u.display_name ?? u.username}</Link>
                  {u.display_name && <span class="muted">@{u.username}</span>}
                </li>
              ))}
            </ul>
          </Group>
          <Group id="found-lists" title={t.searchLists} empty={t.noListResults} count={results.data.lists.length}>
            <ul class="lists">
              {results.data.lists.map((list) => (
                <li key={list.id}>
                  <ListCard list={list} />
                </li>
              ))}
            </ul>
          </Group>
        </>
      )}
    </>
  );
}
