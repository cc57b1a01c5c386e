import { useEffect, useRef, useState } from 'preact/hooks';
import { type Genre, type MovieSort, api, page } from '../api/client';
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
import { GENRES, catalogueHref, decadeParam, genreParam, pageCount, pageParam } from './query';

const PAGE_SIZE = 12;

// The choices of "Sort by", as they appear in the URL ("" is the default: newest first, or with a
// search the best match first, the API's order for a search without a sort).
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

// The decades offered, newest first: from the 1870s (the API's first year is 1878) to this one.
const THIS_DECADE = Math.floor(new Date().getFullYear() / 10) * 10;
const DECADES = Array.from({ length: (THIS_DECADE - 1870) / 10 + 1 }, (_, i) => THIS_DECADE - i * 10);

interface Filters {
  q?: string;
  sort?: Sort;
  genre?: Genre | '';
  decade?: number | undefined;
  director?: string;
  page?: number;
}

/** The catalogue: search, filters, sort and pages, all kept in the URL (?q=&genre=&decade=&director=&sort=&page=). */
export function HomePage() {
  const { t, lang } = useI18n();
  const { user } = useSession();
  const { query } = useLocation();
  const q = (query.get('q') ?? '').trim();
  const sort = sortParam(query);
  const genre = genreParam(query);
  const decade = decadeParam(query);
  // A director comes from a film's page (its link), so it is a line to remove rather than a control.
  const director = (query.get('director') ?? '').trim();
  const filtered = genre !== '' || decade !== undefined || director !== '';
  const current = pageParam(query);
  const heading = useRef<HTMLHeadingElement>(null);
  const [draft, setDraft] = useState(q);
  useTitle(q ? `${t.search}: ${q}` : t.moviesTitle);

  // Back and forward change the URL under the form; the field follows.
  useEffect(() => setDraft(q), [q]);

  const movies = useResource(`movies?${new URLSearchParams({ q, sort, genre, decade: String(decade ?? ''), director, page: String(current) })}`, (signal) =>
    page(
      api.GET('/api/v1/movies', {
        params: {
          // The API's default order is oldest first; "Newest" asks for the reverse of it. A search
          // without a sort is left to the API: best match first.
          query: {
            q: q || undefined,
            genre: genre || undefined,
            decade,
            director: director || undefined,
            sort: sort || (q ? undefined : 'id'),
            order: sort || q ? undefined : 'desc',
            page: current,
            limit: PAGE_SIZE,
          },
        },
        signal,
      }),
    ),
  );

  const states = useMovieStates(movies.state === 'ready' ? movies.data.items.map((m) => m.id) : null);

  const href = (changes: Filters) => {
    const next = { q, sort, genre, decade, director, ...changes };
    return withQuery('/', { ...next, page: next.page && next.page > 1 ? next.page : undefined });
  };
  // Genres in the reader's alphabetical order.
  const genres = [...GENRES].sort((a, b) => t.genreNames[a].localeCompare(t.genreNames[b], lang));

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
                    {s.value === '' && q ? t.sortBestMatch : s.label(t)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label={t.genre}>
            {(control) => (
              <select {...control} name="genre" value={genre} onChange={(e) => navigate(href({ genre: e.currentTarget.value as Genre | '', page: 1 }))}>
                <option value="">{t.allGenres}</option>
                {genres.map((g) => (
                  <option key={g} value={g}>
                    {t.genreNames[g]}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label={t.decade}>
            {(control) => (
              <select
                {...control}
                name="decade"
                value={decade === undefined ? '' : String(decade)}
                onChange={(e) => navigate(href({ decade: e.currentTarget.value === '' ? undefined : Number(e.currentTarget.value), page: 1 }))}
              >
                <option value="">{t.allDecades}</option>
                {DECADES.map((d) => (
                  <option key={d} value={String(d)}>
                    {t.decadeName(d)}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </div>
      </div>
      {director && (
        <p class="active-filter">
          <strong>{t.directedBy(director)}</strong>
          <Link href={href({ director: '', page: 1 })}>{t.showAllDirectors}</Link>
        </p>
      )}

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
              ) : filtered ? (
                <>
                  <p>{t.noFilterMatches}</p>
                  <Link href={catalogueHref({ q })}>{t.clearFilters}</Link>
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
