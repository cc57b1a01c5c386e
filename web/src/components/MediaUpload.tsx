import { useRef, useState } from 'preact/hooks';
import { type Movie, api, call } from '../api/client';
import { type MediaKind, uploadMedia } from '../api/upload';
import { useAction } from '../hooks/action';
import { useUpload } from '../hooks/upload';
import { useI18n } from '../i18n';
import { Status } from './Alert';
import { Field } from './Field';
import { Form } from './Form';
import { Poster } from './Poster';
import { UploadProgress } from './UploadProgress';

const FIELDS = ['file'] as const;
const ACCEPT: Record<MediaKind, string> = { poster: 'image/jpeg,image/png,image/webp', trailer: 'video/mp4,video/webm' };

interface MediaUploadProps {
  movie: Movie;
  kind: MediaKind;
  onChanged: () => Promise<void>;
}

/** An administrator's poster or trailer: what is there now, upload (with progress) and delete. */
export function MediaUpload({ movie, kind, onChanged }: MediaUploadProps) {
  const { t } = useI18n();
  const action = useAction(FIELDS);
  const input = useRef<HTMLInputElement>(null);
  const [missingFile, setMissingFile] = useState(false);
  const [status, setStatus] = useState<string | null>(null);
  const upload = useUpload();
  const poster = kind === 'poster';
  const url = poster ? movie.poster_url : movie.trailer_url;

  const send = () => {
    const file = input.current?.files?.[0];
    setMissingFile(!file);
    setStatus(null);
    if (!file) {
      input.current?.focus();
      return;
    }
    void action.run(async () => {
      if ((await upload.start((onProgress, signal) => uploadMedia(movie.id, kind, file, onProgress, signal))) === 'cancelled') {
        setStatus(t.uploadCancelled);
        return;
      }
      if (input.current) input.current.value = '';
      setStatus(poster ? t.posterUploaded : t.trailerUploaded);
      await onChanged();
    });
  };

  const remove = () =>
    action.run(async () => {
      setStatus(null);
      const path = { params: { path: { id: movie.id } } };
      if (poster) await call(api.DELETE('/api/v1/movies/{id}/poster', path));
      else await call(api.DELETE('/api/v1/movies/{id}/trailer', path));
      setStatus(poster ? t.posterDeleted : t.trailerDeleted);
      await onChanged();
    });

  const fileError = missingFile ? t.chooseFile : action.problem.fields.file;

  return (
    <section class="panel media" aria-labelledby={`${kind}-title`}>
      <h2 id={`${kind}-title`}>{poster ? t.posterTitle : t.trailerTitle}</h2>
      <div class="media__current">
        {poster && url && <Poster movie={movie} sizes="160px" alt={t.posterOf(movie.title)} />}
        {!poster && url && <video class="media__video" controls preload="metadata" src={url} />}
        {!url && <p class="muted">{poster ? t.noPosterYet : t.noTrailerYet}</p>}
      </div>
      <Form action={action} onSubmit={send}>
        <Field label={poster ? t.posterFile : t.trailerFile} hint={poster ? t.posterHint : t.trailerHint} error={fileError}>
          {(control) => <input {...control} ref={input} type="file" accept={ACCEPT[kind]} onChange={() => setMissingFile(false)} />}
        </Field>
        {upload.progress !== null && <UploadProgress percent={upload.percent} />}
        <div class="form__actions">
          {upload.progress === null ? (
            <button type="submit" class="button">
              {poster ? t.uploadPoster : t.uploadTrailer}
            </button>
          ) : (
            <button type="button" class="button button--secondary" onClick={upload.cancel}>
              {t.cancelUpload}
            </button>
          )}
          {url && upload.progress === null && (
            <button type="button" class="button button--danger" onClick={remove}>
              {poster ? t.deletePoster : t.deleteTrailer}
            </button>
          )}
        </div>
        <Status text={status} />
      </Form>
    </section>
  );
}
