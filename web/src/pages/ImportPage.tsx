import { useRef, useState } from 'preact/hooks';
import type { ImportSummary, User } from '../api/client';
import { uploadImport } from '../api/upload';
import { Status } from '../components/Alert';
import { Field } from '../components/Field';
import { Form } from '../components/Form';
import { RequireUser } from '../components/RequireUser';
import { UploadProgress } from '../components/UploadProgress';
import { profilePath } from '../components/UserLink';
import { useAction } from '../hooks/action';
import { forget } from '../hooks/resource';
import { useTitle } from '../hooks/title';
import { useUpload } from '../hooks/upload';
import { useI18n } from '../i18n';
import { Link, withQuery } from '../router';

const FILE_FIELDS = ['file'] as const;
const MAX_IMPORT_BYTES = 20 * 1024 * 1024;

/** What the import made and what it could not match, each film not found with a search for it. */
function Summary({ summary, user }: { summary: ImportSummary; user: User }) {
  const { t } = useI18n();
  const c = summary.created;
  return (
    <section class="panel" aria-labelledby="import-summary-title">
      <h2 id="import-summary-title">{t.importSummaryTitle}</h2>
      <ul class="import-counts">
        <li>{t.importMatched(summary.matched)}</li>
        <li>{t.importDiary(c.diary)}</li>
        <li>{t.importRatings(c.ratings)}</li>
        <li>{t.importReviews(c.reviews)}</li>
        <li>{t.importWatchlist(c.watchlist)}</li>
        <li>{t.importLists(c.lists)}</li>
      </ul>
      <p>
        <Link href={`${profilePath(user.username)}/diary`}>{t.viewDiary}</Link>
      </p>
      {summary.unmatched.length > 0 && (
        <>
          <h3>{t.importUnmatchedTitle(summary.unmatched.length)}</h3>
          <p>{t.importUnmatchedText}</p>
          <ul class="import-unmatched">
            {summary.unmatched.map((film) => {
              const label = film.year === null ? film.name : `${film.name} (${film.year})`;
              return (
                <li key={label}>
                  <Link href={withQuery('/search', { q: film.name })} aria-label={t.importSearchFor(label)}>
                    {label}
                  </Link>
                </li>
              );
            })}
          </ul>
        </>
      )}
      {summary.skipped.length > 0 && (
        <>
          <h3>{t.importSkippedTitle}</h3>
          <ul>
            {summary.skipped.map((row) => (
              <li key={`${row.file}:${row.line}`}>{t.importSkippedRow(row.file, row.line)}</li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function Import({ user }: { user: User }) {
  const { t } = useI18n();
  const action = useAction(FILE_FIELDS);
  const input = useRef<HTMLInputElement>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [summary, setSummary] = useState<ImportSummary | null>(null);
  const upload = useUpload();

  const picked = () => {
    const file = input.current?.files?.[0];
    setStatus(null);
    setFileError(file && file.size > MAX_IMPORT_BYTES ? t.importTooBig : null);
  };

  const send = () => {
    const file = input.current?.files?.[0];
    const refuse = (text: string) => {
      setFileError(text);
      input.current?.focus();
    };
    if (!file) return refuse(t.chooseFile);
    if (file.size > MAX_IMPORT_BYTES) return refuse(t.importTooBig);
    setSummary(null);
    void action.run(async () => {
      const answer = await upload.start((onProgress, signal) => uploadImport(file, onProgress, signal));
      if (answer === 'cancelled') {
        setStatus(t.uploadCancelled);
        return;
      }
      if (input.current) input.current.value = '';
      // The member's pages read from the cache would not show what just came over.
      forget(`profile:${user.username.toLowerCase()}`);
      setSummary(answer);
      setStatus(t.importDone);
    });
  };

  return (
    <div class="narrow">
      <h1>{t.importTitle}</h1>
      <p>{t.importIntro}</p>
      <p>{t.importPrivateLists}</p>
      <section class="panel" aria-label={t.importTitle}>
        <Form action={action} onSubmit={send}>
          <Field label={t.importFile} hint={t.importHint} error={fileError ?? action.problem.fields.file}>
            {(control) => <input {...control} ref={input} type="file" accept=".zip,.csv,application/zip,text/csv" onChange={picked} />}
          </Field>
          {upload.progress !== null && <UploadProgress percent={upload.percent} />}
          <div class="form__actions">
            {upload.progress === null ? (
              <button type="submit" class="button">
                {t.importSubmit}
              </button>
            ) : (
              <button type="button" class="button button--secondary" onClick={upload.cancel}>
                {t.cancelUpload}
              </button>
            )}
          </div>
          <Status text={status} />
        </Form>
      </section>
      {summary && <Summary summary={summary} user={user} />}
    </div>
  );
}

/** /account/import: a Letterboxd export brought into the account, with what came over and what did not. */
export function ImportPage() {
  const { t } = useI18n();
  useTitle(t.importTitle);
  return <RequireUser>{(user) => <Import user={user} />}</RequireUser>;
}
