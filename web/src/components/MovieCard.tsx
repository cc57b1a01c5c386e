import type { Movie } from '../api/client';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { Poster } from './Poster';
import { Rating } from './Rating';

// The grid has 2 columns on a phone and up to 6 on a wide screen (styles.css).
const CARD_SIZES = '(min-width: 1200px) 190px, (min-width: 1000px) 20vw, (min-width: 800px) 25vw, (min-width: 600px) 33vw, 50vw';

/** One movie of the grid; the whole card is the link's target, the heading is the link. */
export function MovieCard({ movie }: { movie: Movie }) {
  const { t } = useI18n();
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
        <Rating average={movie.average_score} count={movie.review_count} size="sm" />
      </div>
    </article>
  );
}
