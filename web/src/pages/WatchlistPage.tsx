import { useRef } from 'preact/hooks';
import { type User, api, page } from '../api/client';
import { LoadError } from '../components/LoadError';
import { MovieCard } from '../components/MovieCard';
import { Pagination } from '../components/Pagination';
import { profilePath } from '../components/UserLink';
import { CardsSkeleton, LinesSkeleton } from '../components/Skeleton';
import { useResource } from '../hooks/resource';
import { useMovieStates } from '../hooks/states';
import { useTitle } from '../hooks/title';
import { useI18n } from '../i18n';
import { Link, useLocation, withQuery } from '../router';
import { useProfile } from './profile';
import { watchlistPath } from './ProfilePage';
import { pageCount, pageParam } from './query';

const PER_PAGE = 24;

function Watchlist({ user }: { user: User }) {
  const { t } = useI18n();
  const { query } = useLocation();
  const current = pageParam(query);
  const heading = useRef<HTMLHeadingElement>(null);
  const name = user.display_name ?? user.username;
  useTitle(t.watchlistOfName(name));
  const movies = useResource(`watchlist:${user.id}:${current}`, (signal) =>
    page(api.GET('/api/v1/users/{id}/watchlist', { params: { path: { id: user.id }, query: { page: current, limit: PER_PAGE } }, signal })),
  );
  const states = useMovieStates(movies.state === 'ready' ? movies.data.items.map((m) => m.id) : null);
  return (
    <>
      <h1 ref={heading} tabIndex={-1}>
        {t.watchlistOfName(name)}
      </h1>
      <p>
        <Link href={profilePath(user.username)}>{t.backToProfile(name)}</Link>
      </p>
      {movies.state === 'loading' && <CardsSkeleton count={12} label={t.loadingMovies} />}
      {movies.state === 'failed' && <LoadError error={movies.error} onRetry={movies.reload} />}
      {movies.state === 'ready' &&
        (movies.data.items.length === 0 ? (
          <p class="empty">{t.emptyWatchlist}</p>
        ) : (
          <>
            <ul class="grid">
              {movies.data.items.map((movie) => (
                <li key={movie.id}>
                  <MovieCard movie={movie} state={states?.get(movie.id)} />
                </li>
              ))}
            </ul>
            <Pagination
              page={current}
              pages={pageCount(movies.data.total, PER_PAGE)}
              href={(n) => withQuery(watchlistPath(user.username), { page: n > 1 ? n : undefined })}
              onNavigate={() => heading.current?.focus()}
            />
          </>
        ))}
    </>
  );
}

/** /u/<username>/watchlist: the movies a member means to see, last added first. */
export function WatchlistPage({ username }: { username: string }) {
  const { t } = useI18n();
  const profile = useProfile(username);
  if (profile.state === 'loading') return <LinesSkeleton lines={4} label={t.loading} />;
  if (profile.state === 'failed') return <LoadError error={profile.error} onRetry={profile.reload} />;
  return <Watchlist user={profile.data} />;
}
