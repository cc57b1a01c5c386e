import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { api, call } from '../api/client';
import { useAction } from '../hooks/action';
import { useI18n } from '../i18n';
import { Field } from './Field';
import { Form } from './Form';
import { StarInput } from './StarInput';

const FIELDS = ['watched_on', 'rewatch', 'rating', 'liked', 'tags'] as const;
const EARLIEST = '1878-01-01';

/** Today in the reader's own time zone, as YYYY-MM-DD (what "today" means to them). */
function today(): string {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
}

/** "cine, Madrid ,  en casa" → ["cine", "Madrid", "en casa"] */
const tagsOf = (text: string): string[] =>
  text
    .split(',')
    .map((tag) => tag.trim())
    .filter((tag) => tag !== '');

/**
 * "Log" a viewing: a modal dialog (the browser's <dialog>, so focus stays in it and Escape closes
 * it) with the day, rewatch, an optional rating, like and tags. Saved, it closes and says so.
 */
export function LogDialog({ movieId, title, onLogged }: { movieId: number; title: string; onLogged: (day: string) => Promise<void> }) {
  const { t } = useI18n();
  const dialog = useRef<HTMLDialogElement>(null);
  const action = useAction(FIELDS);
  const [day, setDay] = useState(today);
  const [rewatch, setRewatch] = useState(false);
  const [rating, setRating] = useState<number | null>(null);
  const [liked, setLiked] = useState(false);
  const [tags, setTags] = useState('');
  const ratingLabel = useId();
  const headingId = useId();

  const open = () => {
    setDay(today());
    setRewatch(false);
    setRating(null);
    setLiked(false);
    setTags('');
    dialog.current?.showModal();
  };
  const close = () => dialog.current?.close();
  useEffect(() => () => dialog.current?.close(), []);

  const save = () =>
    action.run(async () => {
      await call(api.POST('/api/v1/diary', { body: { movie_id: movieId, watched_on: day, rewatch, rating, liked, tags: tagsOf(tags) } }));
      close();
      await onLogged(day);
    });

  return (
    <>
      <button type="button" class="button" onClick={open}>
        {t.logViewing}
      </button>
      <dialog ref={dialog} class="dialog" aria-labelledby={headingId}>
        <h2 id={headingId}>{t.logTitle(title)}</h2>
        <Form action={action} onSubmit={save}>
          <Field label={t.watchedOn} error={action.problem.fields.watched_on}>
            {(control) => <input {...control} type="date" required min={EARLIEST} max={today()} value={day} onInput={(e) => setDay(e.currentTarget.value)} />}
          </Field>
          <div class="field field--check">
            <label>
              <input type="checkbox" checked={rewatch} onChange={(e) => setRewatch(e.currentTarget.checked)} /> {t.rewatch}
            </label>
          </div>
          <div class="field">
            <span class="field__label" id={ratingLabel}>
              {t.ratingOptional}
            </span>
            <div class="star-row">
              <StarInput value={rating} onChange={setRating} labelledBy={ratingLabel} invalid={Boolean(action.problem.fields.rating)} />
              {rating !== null && (
                <button type="button" class="button button--ghost button--small" onClick={() => setRating(null)}>
                  {t.clearRating}
                </button>
              )}
            </div>
            {action.problem.fields.rating && <p class="field__error">{action.problem.fields.rating}</p>}
          </div>
          <div class="field field--check">
            <label>
              <input type="checkbox" checked={liked} onChange={(e) => setLiked(e.currentTarget.checked)} /> {t.liked}
            </label>
          </div>
          <Field label={t.tags} hint={t.tagsHint} error={action.problem.fields.tags}>
            {(control) => <input {...control} type="text" maxLength={1100} value={tags} onInput={(e) => setTags(e.currentTarget.value)} />}
          </Field>
          <div class="form__actions">
            <button type="submit" class="button">
              {t.saveLog}
            </button>
            <button type="button" class="button button--secondary" onClick={close}>
              {t.cancel}
            </button>
          </div>
        </Form>
      </dialog>
    </>
  );
}
