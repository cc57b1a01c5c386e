import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { type Review, api, call } from '../api/client';
import { useAction } from '../hooks/action';
import { useI18n } from '../i18n';
import { Status } from './Alert';
import { ConfirmButton } from './ConfirmButton';
import { Field } from './Field';
import { Form } from './Form';
import { StarInput } from './StarInput';

const FIELDS = ['rating', 'score', 'review'] as const;

interface ReviewFormProps {
  movieId: number;
  /** The person's review of this movie, if they wrote one: the form edits it instead. */
  own: Review | null;
  /** The person's rating of it without a review, if any: a new review starts from it. */
  rating: number | null;
  /** After a write, so the page shows the new average, list and form. */
  onChanged: () => Promise<void>;
}

export function ReviewForm({ movieId, own, rating: rated, onChanged }: ReviewFormProps) {
  const { t } = useI18n();
  const action = useAction(FIELDS);
  const [rating, setRating] = useState<number | null>(own?.rating ?? rated);
  const [text, setText] = useState(own?.review ?? '');
  const [spoiler, setSpoiler] = useState(own?.spoiler ?? false);
  const [status, setStatus] = useState<string | null>(null);
  const [unrated, setUnrated] = useState(false);
  const labelId = useId();
  const errorId = useId();
  const stars = useRef<HTMLDivElement>(null);

  // A review written, changed or deleted (here or elsewhere) resets the fields to what is stored.
  // The rating also follows the member's rating set beside the movie, without touching the text being written.
  useEffect(() => setText(own?.review ?? ''), [own?.id, own?.review]);
  useEffect(() => setSpoiler(own?.spoiler ?? false), [own?.id, own?.spoiler]);
  useEffect(() => setRating(own?.rating ?? rated), [own?.id, own?.rating, rated]);

  const publish = () => {
    // No rating is chosen for the person: publishing asks for one.
    if (rating === null) {
      setUnrated(true);
      stars.current?.querySelector<HTMLElement>('[role="slider"]')?.focus();
      return;
    }
    return action.run(async () => {
      setStatus(null);
      const body = { rating, review: text, spoiler };
      if (own) {
        await call(api.PUT('/api/v1/reviews/{id}', { params: { path: { id: own.id } }, body }));
        setStatus(t.reviewSaved);
      } else {
        await call(api.POST('/api/v1/reviews', { body: { ...body, movie_id: movieId } }));
        setStatus(t.reviewPublished);
      }
      await onChanged();
    });
  };

  const remove = () =>
    action.run(async () => {
      if (!own) return;
      setStatus(null);
      await call(api.DELETE('/api/v1/reviews/{id}', { params: { path: { id: own.id } } }));
      setStatus(t.reviewDeleted);
      await onChanged();
    });

  const ratingError = unrated && rating === null ? t.chooseRating : (action.problem.fields.rating ?? action.problem.fields.score);
  // The section is left unnamed on purpose: the one thing labelled "Review" is the text field.
  return (
    <section class="panel review-form">
      <h3>{own ? t.yourReview : t.writeReview}</h3>
      <Form action={action} onSubmit={publish}>
        <div class={ratingError ? 'field field--invalid' : 'field'} ref={stars}>
          <span class="field__label" id={labelId}>
            {t.rating}
          </span>
          <StarInput
            value={rating}
            onChange={(v) => {
              setRating(v);
              setUnrated(false);
            }}
            labelledBy={labelId}
            describedBy={ratingError ? errorId : undefined}
            invalid={Boolean(ratingError)}
          />
          {ratingError && (
            <p class="field__error" id={errorId}>
              {ratingError}
            </p>
          )}
        </div>
        <Field label={t.review} error={action.problem.fields.review}>
          {(control) => <textarea {...control} rows={5} required value={text} onInput={(e) => setText(e.currentTarget.value)} />}
        </Field>
        <div class="field field--check">
          <label>
            <input type="checkbox" checked={spoiler} aria-describedby={`${labelId}-spoiler`} onChange={(e) => setSpoiler(e.currentTarget.checked)} /> {t.spoiler}
          </label>
          <p class="field__hint" id={`${labelId}-spoiler`}>
            {t.spoilerHint}
          </p>
        </div>
        <div class="form__actions">
          <button type="submit" class="button">
            {own ? t.save : t.publishReview}
          </button>
          {own && <ConfirmButton label={t.deleteReview} question={t.deleteReviewQuestion} confirm={t.deleteReviewConfirm} onConfirm={remove} />}
        </div>
        <Status text={status} />
      </Form>
    </section>
  );
}
