import type { ComponentChildren } from 'preact';
import { useRef } from 'preact/hooks';
import { type Movie, api, call, page } from '../api/client';
import { AddToList } from '../components/AddToList';
import { LoadError } from '../components/LoadError';
import { Pagination } from '../components/Pagination';
import { Poster, posterAt } from '../components/Poster';
import { MovieActions } from '../components/MovieActions';
import { Rating } from '../components/Rating';
import { RatingHistogram } from '../components/RatingHistogram';
import { ReviewForm } from '../components/ReviewForm';
import { ReviewList } from '../components/ReviewList';
import { LinesSkeleton, MovieSkeleton } from '../components/Skeleton';
import { loginUrl } from '../hooks/action';
import { useResource } from '../hooks/resource';
import { useTitle } from '../hooks/title';
import { useI18n } from '../i18n';
import { Link, useLocation, withQuery } from '../router';
import { useSession } from '../session';
import { catalogueHref, pageCount, pageParam } from './query';

const REVIEWS_PER_PAGE = 10;

/** Who directed it and its genres, each a link to the catalogue filtered by it; its length and IMDb page. */
function Facts({ movie }: { movie: Movie }) {
  const { t } = useI18n();
  if (movie.directors.length === 0 && movie.genres.length === 0 && movie.runtime === null && movie.imdb_id === null) return null;
  return (
    <dl class="movie__facts">
      {movie.directors.length > 0 && (
        <div>
          <dt>{t.directorsLabel(movie.directors.length)}</dt>
          <dd>
            <ul class="inline-list">
              {movie.directors.map((name) => (
                <li key={name}>
                  <Link href={catalogueHref({ director: name })}>{name}</Link>
                </li>
              ))}
            </ul>
          </dd>
        </div>
      )}
      {movie.genres.length > 0 && (
        <div>
          <dt>{t.genresLabel}</dt>
          <dd>
            <ul class="inline-list">
              {movie.genres.map((genre) => (
                <li key={genre}>
                  <Link href={catalogueHref({ genre })}>{t.genreNames[genre]}</Link>
                </li>
              ))}
            </ul>
          </dd>
        </div>
      )}
      {movie.runtime !== null && (
        <div>
          <dt>{t.runtime}</dt>
          <dd>{t.minutes(movie.runtime)}</dd>
        </div>
      )}
      {movie.imdb_id !== null && (
        <div>
          <dt>IMDb</dt>
          <dd>
            <a href={`https://www.imdb.com/title/${movie.imdb_id}/`} rel="noopener noreferrer">
              {t.imdbPage}
            </a>
          </dd>
        </div>
      )}
    </dl>
  );
}

function Details({ movie, children }: { movie: Movie; children?: ComponentChildren }) {
  const { t } = useI18n();
  const { user } = useSession();
  return (
    <article class="movie">
      <div class="movie__poster">
        <Poster movie={movie} sizes="(min-width: 800px) 320px, 70vw" alt={t.posterOf(movie.title)} lazy={false} />
      </div>
      <div class="movie__info">
        <h1>{movie.title}</h1>
        {movie.original_title && (
          <p class="movie__original">
            {t.originalTitle}: <i>{movie.original_title}</i>
          </p>
        )}
        <p class="movie__year">{movie.year ?? t.noYear}</p>
        <Facts movie={movie} />
        <Rating average={movie.average_score} count={movie.rating_count} />
        <RatingHistogram histogram={movie.rating_histogram} count={movie.rating_count} />
        <h2 class="visually-hidden">{t.synopsis}</h2>
        <p class={movie.synopsis ? 'movie__synopsis' : 'movie__synopsis muted'}>{movie.synopsis ?? t.noSynopsis}</p>
        {children}
        {user?.role === 'admin' && (
          <p>
            <Link class="button button--secondary" href={`/movies/${movie.id}/edit`}>
              {t.editMovie}
            </Link>
          </p>
        )}
      </div>
      {movie.trailer_url && (
        <section class="movie__trailer" aria-labelledby="trailer-title">
          <h2 id="trailer-title">{t.trailer}</h2>
          {/* preload="metadata" fetches only the first bytes; seeking asks the API for ranges. */}
          <video controls preload="metadata" src={movie.trailer_url} poster={movie.poster_url ? posterAt(movie.poster_url, 640) : undefined}>
            <p>
              {t.videoUnsupported} <a href={movie.trailer_url}>{t.downloadTrailer}</a>
            </p>
          </video>
        </section>
      )}
    </article>
  );
}

/** A movie: poster, synopsis, average, trailer; its reviews a page at a time (?page=), and the person's own. */
export function MoviePage({ id }: { id: number }) {
  const { t } = useI18n();
  const { user } = useSession();
  const { path, query, href } = useLocation();
  const reviewsPage = pageParam(query);
  const reviewsHeading = useRef<HTMLHeadingElement>(null);

  const movie = useResource(`movie:${id}`, async (signal) => (await call(api.GET('/api/v1/movies/{id}', { params: { path: { id } }, signal }))).data);
  const reviews = useResource(`movie-reviews:${id}:${reviewsPage}`, (signal) =>
    page(api.GET('/api/v1/movies/{id}/reviews', { params: { path: { id }, query: { page: reviewsPage, limit: REVIEWS_PER_PAGE, order: 'desc' } }, signal })),
  );
  const own = useResource(user ? `own-review:${id}:${user.id}` : null, async (signal) => {
    const { data } = await call(api.GET('/api/v1/reviews', { params: { query: { movie_id: id, user_id: user!.id, limit: 1 } }, signal }));
    return data[0] ?? null;
  });
  // The member's rating, watchlist mark and viewings of it, for the actions beside the details.
  const state = useResource(user ? `states:${id}:${user.id}` : null, async (signal) => {
    const { data } = await call(api.GET('/api/v1/users/me/movie-states', { params: { query: { ids: String(id) } }, signal }));
    return data[0]!;
  });
  useTitle(movie.state === 'ready' ? movie.data.title : null);

  const refresh = async () => {
    await Promise.all([movie.reload(), reviews.reload(), own.reload(), state.reload()]);
  };

  if (movie.state === 'loading') return <MovieSkeleton label={t.loadingMovie} />;
  if (movie.state === 'failed') return <LoadError error={movie.error} onRetry={movie.reload} />;

  return (
    <>
      <Details movie={movie.data}>
        {user && state.state === 'ready' && <MovieActions movieId={id} title={movie.data.title} state={state.data} onChanged={refresh} />}
        {user && <AddToList movieId={id} title={movie.data.title} />}
      </Details>
      <section class="reviews-section">
        <h2 ref={reviewsHeading} tabIndex={-1}>
          {t.reviewsTitle}
        </h2>
        {user === null && (
          <p class="panel">
            <Link href={loginUrl(href)}>{t.logInToReview}</Link>
          </p>
        )}
        {user && own.state === 'ready' && <ReviewForm movieId={id} own={own.data} rating={state.state === 'ready' ? state.data.rating : null} onChanged={refresh} />}
        {user && own.state === 'loading' && <LinesSkeleton label={t.loading} />}
        {user && own.state === 'failed' && <LoadError error={own.error} onRetry={own.reload} />}

        {reviews.state === 'loading' && <LinesSkeleton lines={4} label={t.loadingReviews} />}
        {reviews.state === 'failed' && <LoadError error={reviews.error} onRetry={reviews.reload} />}
        {reviews.state === 'ready' &&
          (reviews.data.items.length === 0 ? (
            <p class="empty">{t.noReviews}</p>
          ) : (
            <>
              <ReviewList reviews={reviews.data.items} ownId={user?.id} onChanged={refresh} />
              <Pagination
                page={reviewsPage}
                pages={pageCount(reviews.data.total, REVIEWS_PER_PAGE)}
                href={(n) => withQuery(path, { page: n > 1 ? n : undefined })}
                onNavigate={() => reviewsHeading.current?.focus()}
              />
            </>
          ))}
      </section>
    </>
  );
}
