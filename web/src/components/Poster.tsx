import type { Movie } from '../api/client';

const WIDTHS = [160, 320, 640] as const;

/** The poster URL at one of the sizes the API keeps (`?w=`), keeping its `?v=` version. */
export function posterAt(url: string, width: (typeof WIDTHS)[number]): string {
  const parsed = new URL(url, window.location.origin);
  parsed.searchParams.set('w', String(width));
  return parsed.pathname + parsed.search;
}

interface PosterProps {
  movie: Pick<Movie, 'title' | 'poster_url'>;
  /** How wide the poster is drawn, for the browser's choice in `srcset`. */
  sizes: string;
  /** Empty where the title is right beside it (a card), so it is not read twice. */
  alt: string;
  /** Off for the poster at the top of a page, which should not wait for layout. */
  lazy?: boolean;
}

/** A 2:3 poster, or a drawn stand-in of the same shape when the movie has none. */
export function Poster({ movie, sizes, alt, lazy = true }: PosterProps) {
  if (!movie.poster_url) {
    return (
      <div class="poster poster--empty" aria-hidden="true">
        <svg viewBox="0 0 24 24" width="40" height="40" focusable="false">
          <path d="M4 5h16v14H4zM4 9h16M8 5v4M12 5v4M16 5v4" fill="none" stroke="currentColor" stroke-width="1.5" />
        </svg>
        <span>{movie.title}</span>
      </div>
    );
  }
  const url = movie.poster_url;
  return (
    <img
      class="poster"
      src={posterAt(url, 320)}
      srcset={WIDTHS.map((w) => `${posterAt(url, w)} ${w}w`).join(', ')}
      sizes={sizes}
      alt={alt}
      width={320}
      height={480}
      loading={lazy ? 'lazy' : 'eager'}
      decoding="async"
    />
  );
}
