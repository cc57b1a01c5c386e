import { useEffect, useRef, useState } from 'preact/hooks';
import { type MovieSort, api, page } from '../api/client';
import { Field } from '../components/Field';
import { HomeTabs } from '../components/HomeTabs';
import { LoadError } from '../components/LoadError';
import { MovieCard } from '../components/MovieCard';
import { Pagination } from '../components/Pagination';
import { CardsSkeleton } from '../components/Skeleton';
import { useResource } from '../hooks/resource';
import { useMovieStates } from '../hooks/states';
import { useTitle } from '../hooks/title';
import { type Messages, useI18n } from '../i18n';
import { Link, navigate, useLocation, withQuery } from '../router';
import { useSession } from '../session';
import { pageCount, pageParam } from './query';

const PAGE_SIZE = 12;

// The choices of "Sort by", as they appear in the URL ("" is the default: newest first).
type Sort = '' | Extract<MovieSort, 'rating' | 'title' | 'year' | 'reviews'>;
const SORTS: { value: Sort; label: (t: Messages) => string }[] = [
  { value: '', label: (t) => t.sortNewest },
  { value: 'rating', label: (t) => t.sortRating },
  { value: 'title', label: (t) => t.sortTitle },
  { value: 'year', label: (t) => t.sortYear },
  { value: 'reviews', label: (t) => t.sortReviews },
];

function sortParam(query: URLSearchParams): Sort {
  const raw = query.get('sort') ?? '';
  return SORTS.some((s) => s.value === raw) ? (raw as Sort) : '';
}

/** The catalogue: search, sort and pages, all kept in the URL (?q=&sort=&page=). */
export function HomePage() {
  const { t } = useI18n();
  const { user } = useSession();
  const { query } = useLocation();
  const q = (query.get('q') ?? '').trim();
  const sort = sortParam(query);
  const current = pageParam(query);
  const heading = useRef<HTMLHeadingElement>(null);
  const [draft, setDraft] = useState(q);
  useTitle(q ? `${t.search}: ${q}` : t.moviesTitle);

  // Back and forward change the URL under the form; the field follows.
  useEffect(() => setDraft(q), [q]);

  const movies = useResource(`movies?${new URLSearchParams({ q, sort, page: String(current) })}`, (signal) =>
    page(
      api.GET('/api/v1/movies', {
        params: {
          // The API's default order is oldest first; "Newest" asks for the reverse of it.
          query: { q: q || undefined, sort: sort || 'id', order: sort ? undefined : 'desc', page: current, limit: PAGE_SIZE },
        },
        signal,
      }),
    ),
  );

  const states = useMovieStates(movies.state === 'ready' ? movies.data.items.map((m) => m.id) : null);

  const href = (changes: { q?: string; sort?: Sort; page?: number }) =>
    withQuery('/', { q: changes.q ?? q, sort: changes.sort ?? sort, page: changes.page && changes.page > 1 ? changes.page : undefined });

  return (
    <>
      <HomeTabs current="films" />
      <div class="page-head">
        <h1 ref={heading} tabIndex={-1}>
          {t.moviesTitle}
        </h1>
        <div class="toolbar">
          <form
            class="search"
            role="search"
            onSubmit={(event) => {
              event.preventDefault();
              navigate(href({ q: draft.trim(), page: 1 }));
            }}
          >
            <Field label={t.search}>
              {(control) => (
                <input {...control} type="search" name="q" value={draft} placeholder={t.searchPlaceholder} onInput={(e) => setDraft(e.currentTarget.value)} />
              )}
            </Field>
            <button type="submit" class="button">
              {t.search}
            </button>
          </form>
          <Field label={t.sortBy}>
            {(control) => (
              <select {...control} value={sort} onChange={(e) => navigate(href({ sort: e.currentTarget.value as Sort, page: 1 }))}>
                {SORTS.map((s) => (
                  <option key={s.value} value={s.value}>
                    {s.label(t)}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </div>
      </div>

      {movies.state === 'loading' && <CardsSkeleton count={PAGE_SIZE} label={t.loadingMovies} />}
      {movies.state === 'failed' && <LoadError error={movies.error} onRetry={movies.reload} />}
      {movies.state === 'ready' && (
        <>
          <p class="summary" role="status">
            {movies.data.total > 0 && (q ? t.resultCount(movies.data.total, q) : t.movieCount(movies.data.total))}
          </p>
          {movies.data.items.length > 0 ? (
            <ul class="grid">
              {movies.data.items.map((movie) => (
                <li key={movie.id}>
                  <MovieCard movie={movie} state={states?.get(movie.id)} />
                </li>
              ))}
            </ul>
          ) : (
            <div class="empty">
              {movies.data.total > 0 ? (
                <>
                  <p>{t.pageOutOfRange(current)}</p>
                  <Link href={href({ page: 1 })}>{t.firstPage}</Link>
                </>
              ) : q ? (
                <>
                  <p>{t.noMatches(q)}</p>
                  <Link href={withQuery('/', { sort })}>{t.clearSearch}</Link>
                </>
              ) : (
                <>
                  <p>{t.emptyCatalogue}</p>
                  {user?.role === 'admin' && <Link href="/admin/movies/new">{t.emptyCatalogueAdmin}</Link>}
                </>
              )}
            </div>
          )}
          {movies.data.items.length > 0 && (
            <Pagination
              page={current}
              pages={pageCount(movies.data.total, PAGE_SIZE)}
              href={(n) => href({ page: n })}
              onNavigate={() => heading.current?.focus()}
            />
          )}
        </>
      )}
    </>
  );
}
