import { useId, useState } from 'preact/hooks';
import { type Genre, type Movie, type MovieInput, api, call } from '../api/client';
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
import { GENRES } from './query';

const FIELDS = ['title', 'original_title', 'year', 'directors', 'genres', 'runtime', 'imdb_id', 'synopsis'] as const;

interface Draft {
  title: string;
  originalTitle: string;
  year: string;
  directors: string;
  genres: Genre[];
  runtime: string;
  imdbId: string;
  synopsis: string;
}

function draftOf(movie: Movie | null): Draft {
  return {
    title: movie?.title ?? '',
    originalTitle: movie?.original_title ?? '',
    year: movie?.year === null || movie?.year === undefined ? '' : String(movie.year),
    directors: movie?.directors.join('\n') ?? '',
    genres: movie?.genres ?? [],
    runtime: movie?.runtime === null || movie?.runtime === undefined ? '' : String(movie.runtime),
    imdbId: movie?.imdb_id ?? '',
    synopsis: movie?.synopsis ?? '',
  };
}

/** Blank is null; a whole number is a number; anything else is sent as typed, so the API's 422 explains it beside the field. */
function wholeNumber(text: string): number | null {
  const n = text.trim();
  return n === '' ? null : /^-?\d+$/.test(n) ? Number(n) : (n as unknown as number);
}

const orNull = (text: string): string | null => (text.trim() === '' ? null : text.trim());

/** The form's text as the API wants it: blanks are null, directors one a line, genres in the catalogue's order. */
function toInput(draft: Draft): MovieInput {
  return {
    title: draft.title,
    original_title: orNull(draft.originalTitle),
    year: wholeNumber(draft.year),
    directors: draft.directors
      .split('\n')
      .map((name) => name.trim())
      .filter((name) => name !== ''),
    genres: GENRES.filter((g) => draft.genres.includes(g)),
    runtime: wholeNumber(draft.runtime),
    imdb_id: orNull(draft.imdbId),
    synopsis: draft.synopsis.trim() === '' ? null : draft.synopsis,
  };
}

/** The genres as checkboxes in a fieldset, with the API's message for them under its legend. */
function GenreChecks({ chosen, error, onChange }: { chosen: Genre[]; error: string | undefined; onChange: (genres: Genre[]) => void }) {
  const { t, lang } = useI18n();
  const id = useId();
  const genres = [...GENRES].sort((a, b) => t.genreNames[a].localeCompare(t.genreNames[b], lang));
  return (
    <fieldset class={error ? 'checks checks--invalid' : 'checks'} aria-describedby={error ? `${id}-error` : undefined}>
      <legend>{t.genres}</legend>
      {error && (
        <p class="field__error" id={`${id}-error`}>
          {error}
        </p>
      )}
      <ul class="checks__options">
        {genres.map((g) => (
          <li key={g} class="field--check">
            <label>
              <input
                type="checkbox"
                name="genres"
                value={g}
                checked={chosen.includes(g)}
                aria-invalid={error ? 'true' : undefined}
                onChange={(e) => onChange(e.currentTarget.checked ? [...chosen, g] : chosen.filter((c) => c !== g))}
              />
              {t.genreNames[g]}
            </label>
          </li>
        ))}
      </ul>
    </fieldset>
  );
}

function MovieFields({ movie, onSaved }: { movie: Movie | null; onSaved: (saved: Movie) => Promise<void> | void }) {
  const { t } = useI18n();
  const action = useAction(FIELDS);
  const [draft, setDraft] = useState(() => draftOf(movie));
  const set = (changes: Partial<Draft>) => setDraft((current) => ({ ...current, ...changes }));
  const [status, setStatus] = useState<string | null>(null);

  const submit = () =>
    action.run(async () => {
      setStatus(null);
      const body = toInput(draft);
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
        {(control) => <input {...control} name="title" required value={draft.title} onInput={(e) => set({ title: e.currentTarget.value })} />}
      </Field>
      <Field label={t.originalTitle} hint={t.originalTitleHint} error={action.problem.fields.original_title}>
        {(control) => <input {...control} name="original_title" value={draft.originalTitle} onInput={(e) => set({ originalTitle: e.currentTarget.value })} />}
      </Field>
      <Field label={t.year} hint={t.yearHint} error={action.problem.fields.year}>
        {(control) => <input {...control} name="year" inputMode="numeric" value={draft.year} onInput={(e) => set({ year: e.currentTarget.value })} />}
      </Field>
      <Field label={t.directors} hint={t.directorsHint} error={action.problem.fields.directors}>
        {(control) => <textarea {...control} name="directors" rows={3} value={draft.directors} onInput={(e) => set({ directors: e.currentTarget.value })} />}
      </Field>
      <GenreChecks chosen={draft.genres} error={action.problem.fields.genres} onChange={(genres) => set({ genres })} />
      <Field label={t.runtimeMinutes} hint={t.runtimeHint} error={action.problem.fields.runtime}>
        {(control) => <input {...control} name="runtime" inputMode="numeric" value={draft.runtime} onInput={(e) => set({ runtime: e.currentTarget.value })} />}
      </Field>
      <Field label={t.imdbId} hint={t.imdbIdHint} error={action.problem.fields.imdb_id}>
        {(control) => <input {...control} name="imdb_id" autoComplete="off" spellcheck={false} value={draft.imdbId} onInput={(e) => set({ imdbId: e.currentTarget.value })} />}
      </Field>
      <Field label={t.synopsis} error={action.problem.fields.synopsis}>
        {(control) => <textarea {...control} name="synopsis" rows={6} value={draft.synopsis} onInput={(e) => set({ synopsis: e.currentTarget.value })} />}
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
