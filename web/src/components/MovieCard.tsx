import type { Movie, MovieState } from '../api/client';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { Poster } from './Poster';
import { Rating } from './Rating';
import { WatchlistButton } from './WatchlistButton';

// The grid has 2 columns on a phone and up to 6 on a wide screen (styles.css).
const CARD_SIZES = '(min-width: 1200px) 190px, (min-width: 1000px) 20vw, (min-width: 800px) 25vw, (min-width: 600px) 33vw, 50vw';

/**
 * One movie of the grid; the whole card is the link's target, the heading is the link. For a
 * signed-in member (`state` given) it also has the watchlist toggle, above the link's target.
 */
export function MovieCard({ movie, state }: { movie: Movie; state?: MovieState | undefined }) {
  const { t, stars } = useI18n();
  return (
    <article class="card">
      <Poster movie={movie} sizes={CARD_SIZES} alt="" />
      <div class="card__body">
        <h2 class="card__title">
          <Link class="card__link" href={`/movies/${movie.id}`}>
            {movie.title}
          </Link>
        </h2>
        <p class="card__year">{movie.year ?? t.noYear}</p>
        <Rating average={movie.average_score} count={movie.rating_count} size="sm" />
        {state && (
          <div class="card__actions">
            <WatchlistButton movieId={movie.id} title={movie.title} on={state.watchlisted} size="sm" />
            {state.rating !== null && <span class="card__mine">{t.yourRatingShort(stars(state.rating))}</span>}
          </div>
        )}
      </div>
    </article>
  );
}
