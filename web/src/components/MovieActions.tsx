import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { type MovieState, api, call } from '../api/client';
import { useAction } from '../hooks/action';
import { forget } from '../hooks/resource';
import { useI18n } from '../i18n';
import { Alert, Status } from './Alert';
import { LogDialog } from './LogDialog';
import { StarInput } from './StarInput';
import { WatchlistButton } from './WatchlistButton';

// Keys and drags change the stars many times a second: the rating is saved once they rest.
const SAVE_AFTER_MS = 500;

/**
 * What a member does with a movie, beside its details: their rating (saved as they choose it, a
 * review not needed), the watchlist toggle, "Log" a viewing, and how often they logged it.
 */
export function MovieActions({ movieId, title, state, onChanged }: { movieId: number; title: string; state: MovieState; onChanged: () => Promise<void> }) {
  const { t, day } = useI18n();
  const action = useAction();
  const [rating, setRating] = useState<number | null>(state.rating);
  const [status, setStatus] = useState<string | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  // The rating chosen but not sent yet: leaving the page sends it rather than losing it.
  const unsent = useRef<number | null>(null);
  const labelId = useId();
  useEffect(() => setRating(state.rating), [state.rating]);
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
      if (unsent.current === null) return;
      void api.PUT('/api/v1/movies/{id}/rating', { params: { path: { id: movieId } }, body: { rating: unsent.current } });
      forget(`movie:${movieId}`);
      forget('states:');
    },
    [movieId],
  );

  const changed = async () => {
    forget(`movie:${movieId}`);
    forget('states:');
    await onChanged();
  };

  const choose = (value: number) => {
    setRating(value);
    setStatus(null);
    if (timer.current) clearTimeout(timer.current);
    unsent.current = value;
    timer.current = setTimeout(() => {
      timer.current = null;
      unsent.current = null;
      void action.run(async () => {
        await call(api.PUT('/api/v1/movies/{id}/rating', { params: { path: { id: movieId } }, body: { rating: value } }));
        setStatus(t.ratingSaved);
        await changed();
      });
    }, SAVE_AFTER_MS);
  };

  const clear = () =>
    action.run(async () => {
      await call(api.DELETE('/api/v1/movies/{id}/rating', { params: { path: { id: movieId } } }));
      setRating(null);
      setStatus(t.ratingRemoved);
      await changed();
    });

  return (
    <section class="panel movie-actions" aria-labelledby={labelId}>
      <div class="movie-actions__rating">
        <h2 class="field__label" id={labelId}>
          {t.yourRating}
        </h2>
        <StarInput value={rating} onChange={choose} labelledBy={labelId} />
        {rating !== null && state.review_id === null && (
          <button type="button" class="button button--ghost button--small" onClick={clear}>
            {t.removeRating}
          </button>
        )}
      </div>
      <div class="movie-actions__buttons">
        <WatchlistButton movieId={movieId} title={title} on={state.watchlisted} onChanged={changed} />
        <LogDialog
          movieId={movieId}
          title={title}
          onLogged={async (watched) => {
            setStatus(t.logged(day(watched)));
            await changed();
          }}
        />
      </div>
      {state.logged > 0 && <p class="muted">{t.loggedTimes(state.logged)}</p>}
      <Alert problem={action.problem} onRetry={action.retry} />
      <Status text={status} />
    </section>
  );
}
