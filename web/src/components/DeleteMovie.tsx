import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { type Movie, api, call } from '../api/client';
import { useAction } from '../hooks/action';
import { forget } from '../hooks/resource';
import { useI18n } from '../i18n';
import { useNotice } from '../notice';
import { Alert } from './Alert';

/**
 * Deleting a movie takes two clicks: Delete, then Delete again under "Are you sure?" (or Cancel).
 * The question is part of the page, not a window.confirm dialog, so it is styled, translated and
 * reachable like everything else; the focus moves to it and back.
 */
export function DeleteMovie({ movie }: { movie: Movie }) {
  const { t } = useI18n();
  const { navigateWithNotice } = useNotice();
  const action = useAction();
  const [confirming, setConfirming] = useState(false);
  const question = useRef<HTMLParagraphElement>(null);
  const start = useRef<HTMLButtonElement>(null);
  const moved = useRef(false);

  useLayoutEffect(() => {
    if (!moved.current) return;
    (confirming ? question : start).current?.focus();
  }, [confirming]);

  const ask = (value: boolean) => {
    moved.current = true;
    setConfirming(value);
  };

  const remove = () =>
    action.run(async () => {
      await call(api.DELETE('/api/v1/movies/{id}', { params: { path: { id: movie.id } } }));
      // Cached lists and pages that still show it: everything keyed movie…
      forget('movie');
      navigateWithNotice('/', t.movieDeleted(movie.title), { replace: true });
    });

  return (
    <section class="panel panel--danger" aria-labelledby="delete-title">
      <h2 id="delete-title">{t.deleteMovieTitle}</h2>
      <p>{t.deleteMovieText}</p>
      <Alert problem={action.problem} onRetry={action.retry} />
      {confirming ? (
        <div class="confirm" role="group" aria-labelledby="confirm-question">
          <p id="confirm-question" class="confirm__question" tabIndex={-1} ref={question}>
            {t.areYouSure}
          </p>
          <div class="form__actions">
            <button type="button" class="button button--danger" onClick={remove}>
              {t.delete}
            </button>
            <button type="button" class="button button--secondary" onClick={() => ask(false)}>
              {t.cancel}
            </button>
          </div>
        </div>
      ) : (
        <div class="form__actions">
          <button type="button" class="button button--danger" ref={start} onClick={() => ask(true)}>
            {t.delete}
          </button>
        </div>
      )}
    </section>
  );
}
