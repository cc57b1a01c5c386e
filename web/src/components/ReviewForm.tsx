import { useEffect, useState } from 'preact/hooks';
import { type Review, api, call } from '../api/client';
import { useAction } from '../hooks/action';
import { useI18n } from '../i18n';
import { Status } from './Alert';
import { Field } from './Field';
import { Form } from './Form';

const FIELDS = ['score', 'review'] as const;
const SCORES = [1, 2, 3, 4, 5];

interface ReviewFormProps {
  movieId: number;
  /** The person's review of this movie, if they wrote one: the form edits it instead. */
  own: Review | null;
  /** After a write, so the page shows the new average, list and form. */
  onChanged: () => Promise<void>;
}

export function ReviewForm({ movieId, own, onChanged }: ReviewFormProps) {
  const { t } = useI18n();
  const action = useAction(FIELDS);
  const [score, setScore] = useState(String(own?.score ?? 5));
  const [text, setText] = useState(own?.review ?? '');
  const [status, setStatus] = useState<string | null>(null);

  // A review written, changed or deleted (here or elsewhere) resets the fields to what is stored.
  useEffect(() => {
    setScore(String(own?.score ?? 5));
    setText(own?.review ?? '');
  }, [own?.id, own?.score, own?.review]);

  const publish = () =>
    action.run(async () => {
      setStatus(null);
      const body = { score: Number(score), review: text };
      if (own) {
        await call(api.PUT('/api/v1/reviews/{id}', { params: { path: { id: own.id } }, body }));
        setStatus(t.reviewSaved);
      } else {
        await call(api.POST('/api/v1/reviews', { body: { ...body, movie_id: movieId } }));
        setStatus(t.reviewPublished);
      }
      await onChanged();
    });

  const remove = () =>
    action.run(async () => {
      if (!own) return;
      setStatus(null);
      await call(api.DELETE('/api/v1/reviews/{id}', { params: { path: { id: own.id } } }));
      setStatus(t.reviewDeleted);
      await onChanged();
    });

  // The section is left unnamed on purpose: the one thing labelled "Review" is the text field.
  return (
    <section class="panel review-form">
      <h3>{own ? t.yourReview : t.writeReview}</h3>
      <Form action={action} onSubmit={publish}>
        <Field label={t.score} error={action.problem.fields.score}>
          {(control) => (
            <select {...control} value={score} onChange={(e) => setScore(e.currentTarget.value)}>
              {SCORES.map((n) => (
                <option key={n} value={String(n)}>
                  {t.scoreOption(n)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t.review} error={action.problem.fields.review}>
          {(control) => <textarea {...control} rows={5} required value={text} onInput={(e) => setText(e.currentTarget.value)} />}
        </Field>
        <div class="form__actions">
          {own ? (
            <>
              <button type="submit" class="button">
                {t.save}
              </button>
              <button type="button" class="button button--danger" onClick={remove}>
                {t.delete}
              </button>
            </>
          ) : (
            <button type="submit" class="button">
              {t.publishReview}
            </button>
          )}
        </div>
        <Status text={status} />
      </Form>
    </section>
  );
}
