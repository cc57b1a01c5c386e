import { useEffect, useState } from 'preact/hooks';
import { api, call } from '../api/client';
import { useAction } from '../hooks/action';
import { forget } from '../hooks/resource';
import { useI18n } from '../i18n';
import { Alert } from './Alert';

/**
 * "Watchlist", a toggle (aria-pressed) that adds the movie to the member's watchlist or takes it
 * off. It changes at once and goes back if the API refuses (both writes are idempotent, so a
 * repeated press is harmless).
 */
export function WatchlistButton({
  movieId,
  title,
  on,
  size = 'md',
  onChanged,
}: {
  movieId: number;
  title: string;
  on: boolean;
  size?: 'sm' | 'md';
  /** After the API took the change: the page reloads what it shows of the movie. */
  onChanged?: () => Promise<void>;
}) {
  const { t } = useI18n();
  const [pressed, setPressed] = useState(on);
  const action = useAction();
  useEffect(() => setPressed(on), [on]);

  const toggle = () => {
    const next = !pressed;
    setPressed(next);
    void action.run(async () => {
      try {
        const path = { params: { path: { movie_id: movieId } } };
        if (next) await call(api.PUT('/api/v1/users/me/watchlist/{movie_id}', path));
        else await call(api.DELETE('/api/v1/users/me/watchlist/{movie_id}', path));
        forget('watchlist:');
        forget('states:');
        await onChanged?.();
      } catch (err) {
        setPressed(!next);
        throw err;
      }
    });
  };

  return (
    <>
      <button
        type="button"
        class={`button button--toggle${size === 'sm' ? ' button--small' : ''}`}
        aria-pressed={pressed ? 'true' : 'false'}
        aria-label={size === 'sm' ? t.watchlistOf(title) : undefined}
        onClick={toggle}
      >
        <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
          <path d={pressed ? 'M6 3h12v18l-6-4-6 4z' : 'M6 3h12v18l-6-4-6 4zM8 5v12.2l4-2.7 4 2.7V5z'} fill-rule="evenodd" />
        </svg>
        {size === 'md' && t.watchlist}
      </button>
      <Alert problem={action.problem} onRetry={action.retry} />
    </>
  );
}
