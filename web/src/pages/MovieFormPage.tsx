import { useState } from 'preact/hooks';
import { type Movie, type MovieInput, api, call } from '../api/client';
import { Status } from '../components/Alert';
import { DeleteMovie } from '../components/DeleteMovie';
import { Field } from '../components/Field';
import { Form } from '../components/Form';
import { LoadError } from '../components/LoadError';
import { MediaUpload } from '../components/MediaUpload';
import { RequireUser } from '../components/RequireUser';
import { LinesSkeleton } from '../components/Skeleton';
import { useAction } from '../hooks/action';
import { forget, useResource } from '../hooks/resource';
import { useTitle } from '../hooks/title';
import { useI18n } from '../i18n';
import { useNotice } from '../notice';
import { Link } from '../router';

const FIELDS = ['title', 'year', 'synopsis'] as const;

/**
 * The form's text as the API wants it: an empty year or synopsis is null. A year that is not a
 * number is sent as typed, so the API's 422 explains it beside the field.
 */
function toInput(title: string, year: string, synopsis: string): MovieInput {
  const y = year.trim();
  return {
    title,
    // Deliberately sent as text when it is not a whole number: the API's 422 then says why.
    year: y === '' ? null : /^-?\d+$/.test(y) ? Number(y) : (y as unknown as number),
    synopsis: synopsis.trim() === '' ? null : synopsis,
  };
}

function MovieFields({ movie, onSaved }: { movie: Movie | null; onSaved: (saved: Movie) => Promise<void> | void }) {
  const { t } = useI18n();
  const action = useAction(FIELDS);
  const [title, setTitle] = useState(movie?.title ?? '');
  const [year, setYear] = useState(movie?.year === null || movie?.year === undefined ? '' : String(movie.year));
  const [synopsis, setSynopsis] = useState(movie?.synopsis ?? '');
  const [status, setStatus] = useState<string | null>(null);

  const submit = () =>
    action.run(async () => {
      setStatus(null);
      const body = toInput(title, year, synopsis);
      const { data } = movie
        ? await call(api.PUT('/api/v1/movies/{id}', { params: { path: { id: movie.id } }, body }))
        : await call(api.POST('/api/v1/movies', { body }));
      forget('movies?');
      if (movie) setStatus(t.movieSaved);
      await onSaved(data);
    });

  return (
    <Form action={action} onSubmit={submit} class="form panel">
      <Field label={t.title} error={action.problem.fields.title}>
        {(control) => <input {...control} name="title" required value={title} onInput={(e) => setTitle(e.currentTarget.value)} />}
      </Field>
      <Field label={t.year} hint={t.yearHint} error={action.problem.fields.year}>
        {(control) => <input {...control} name="year" inputMode="numeric" value={year} onInput={(e) => setYear(e.currentTarget.value)} />}
      </Field>
      <Field label={t.synopsis} error={action.problem.fields.synopsis}>
        {(control) => <textarea {...control} name="synopsis" rows={6} value={synopsis} onInput={(e) => setSynopsis(e.currentTarget.value)} />}
      </Field>
      <div class="form__actions">
        <button type="submit" class="button">
          {t.save}
        </button>
      </div>
      <Status text={status} />
    </Form>
  );
}

function NewMovie() {
  const { t } = useI18n();
  const { navigateWithNotice } = useNotice();
  useTitle(t.addMovieTitle);
  return (
    <div class="narrow">
      <h1>{t.addMovieTitle}</h1>
      {/* Next come the poster and trailer, which need the movie to exist: its edit page has them. */}
      <MovieFields movie={null} onSaved={(movie) => navigateWithNotice(`/movies/${movie.id}/edit`, t.movieCreated, { replace: true })} />
    </div>
  );
}

function EditMovie({ id }: { id: number }) {
  const { t } = useI18n();
  const movie = useResource(`movie:${id}`, async (signal) => (await call(api.GET('/api/v1/movies/{id}', { params: { path: { id } }, signal }))).data);
  useTitle(movie.state === 'ready' ? `${t.editMovieTitle}: ${movie.data.title}` : t.editMovieTitle);

  if (movie.state === 'loading') return <LinesSkeleton lines={6} label={t.loadingMovie} />;
  if (movie.state === 'failed') return <LoadError error={movie.error} onRetry={movie.reload} />;
  const data = movie.data;
  return (
    <div class="narrow">
      <h1>{t.editMovieTitle}</h1>
      <p>
        <Link href={`/movies/${id}`}>{t.viewMovie}</Link>
      </p>
      <MovieFields movie={data} onSaved={movie.reload} />
      <MediaUpload movie={data} kind="poster" onChanged={movie.reload} />
      <MediaUpload movie={data} kind="trailer" onChanged={movie.reload} />
      <DeleteMovie movie={data} />
    </div>
  );
}

export function MovieFormPage({ id }: { id?: number }) {
  return <RequireUser admin>{() => (id === undefined ? <NewMovie /> : <EditMovie id={id} />)}</RequireUser>;
}
