import { useEffect, useId, useState } from 'preact/hooks';
import { api, call } from '../api/client';
import { useAction } from '../hooks/action';
import { forget, useResource } from '../hooks/resource';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { useSession } from '../session';
import { Status } from './Alert';
import { Field } from './Field';
import { Form } from './Form';

/** How many of the member's lists the picker offers (newest first). */
const OFFERED = 100;

/**
 * "Add to list" on a film's page: a disclosure that opens a small form, the member's lists to
 * choose from and an optional note; the film goes last on the list chosen.
 */
export function AddToList({ movieId, title }: { movieId: number; title: string }) {
  const { t } = useI18n();
  const { user } = useSession();
  const [open, setOpen] = useState(false);
  const [listId, setListId] = useState<string>('');
  const [note, setNote] = useState('');
  const [status, setStatus] = useState<string | null>(null);
  const action = useAction(['note']);
  const regionId = useId();
  const lists = useResource(open && user ? `lists:${user.id}:${user.id}:picker` : null, async (signal) =>
    (await call(api.GET('/api/v1/users/{id}/lists', { params: { path: { id: user!.id }, query: { limit: OFFERED } }, signal }))).data,
  );
  useEffect(() => {
    if (lists.state === 'ready' && listId === '' && lists.data[0]) setListId(String(lists.data[0].id));
  }, [lists.state, lists.data, listId]);
  if (!user) return null;

  const add = () =>
    action.run(async () => {
      setStatus(null);
      const id = Number(listId);
      await call(api.PUT('/api/v1/lists/{id}/items/{movie_id}', { params: { path: { id, movie_id: movieId } }, body: note.trim() ? { note } : {} }));
      forget(`list-items:${id}`);
      forget(`list:${id}`);
      setNote('');
      setStatus(t.addedToList(lists.data?.find((l) => l.id === id)?.title ?? ''));
    });

  return (
    <div class="add-to-list">
      <button type="button" class="button button--secondary" aria-expanded={open ? 'true' : 'false'} aria-controls={regionId} onClick={() => setOpen(!open)}>
        {t.addToList}
      </button>
      <div id={regionId} hidden={!open}>
        {open && lists.state === 'ready' && lists.data.length === 0 && (
          <p>
            {t.noListsYet} <Link href="/lists/new">{t.makeList}</Link>
          </p>
        )}
        {open && lists.state === 'ready' && lists.data.length > 0 && (
          <Form action={action} onSubmit={add} class="form add-to-list__form" labelledBy={`${regionId}-title`}>
            <p class="visually-hidden" id={`${regionId}-title`}>
              {t.addToListOf(title)}
            </p>
            <Field label={t.chooseList}>
              {(control) => (
                <select {...control} value={listId} onChange={(e) => setListId(e.currentTarget.value)}>
                  {lists.data.map((l) => (
                    <option key={l.id} value={String(l.id)}>
                      {l.title}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field label={t.note} hint={t.noteHint} error={action.problem.fields.note}>
              {(control) => <input {...control} type="text" maxLength={1000} value={note} onInput={(e) => setNote(e.currentTarget.value)} />}
            </Field>
            <div class="form__actions">
              <button type="submit" class="button">
                {t.add}
              </button>
            </div>
          </Form>
        )}
        <Status text={status} />
      </div>
    </div>
  );
}
