import { useEffect, useState } from 'preact/hooks';
import { type List, type User, api, call } from '../api/client';
import { ConfirmButton } from '../components/ConfirmButton';
import { Field } from '../components/Field';
import { Form } from '../components/Form';
import { LoadError } from '../components/LoadError';
import { RequireUser } from '../components/RequireUser';
import { LinesSkeleton } from '../components/Skeleton';
import { profilePath } from '../components/UserLink';
import { useAction } from '../hooks/action';
import { forget, useResource } from '../hooks/resource';
import { useTitle } from '../hooks/title';
import { useI18n } from '../i18n';
import { useNotice } from '../notice';

const FIELDS = ['title', 'description', 'ranked', 'public'] as const;
const MAX_DESCRIPTION = 5000;

function ListForm({ user, list }: { user: User; list: List | null }) {
  const { t } = useI18n();
  const { navigateWithNotice } = useNotice();
  const action = useAction(FIELDS);
  const [title, setTitle] = useState(list?.title ?? '');
  const [description, setDescription] = useState(list?.description ?? '');
  const [ranked, setRanked] = useState(list?.ranked ?? false);
  const [isPublic, setPublic] = useState(list?.public ?? true);
  useTitle(list ? t.editList : t.newList);

  const save = () =>
    action.run(async () => {
      const body = { title, description, ranked, public: isPublic };
      if (list) {
        await call(api.PATCH('/api/v1/lists/{id}', { params: { path: { id: list.id } }, body }));
        forget(`list:${list.id}`);
        forget(`lists:${user.id}`);
        navigateWithNotice(`/lists/${list.id}`, t.listSaved);
      } else {
        const { data } = await call(api.POST('/api/v1/lists', { body }));
        forget(`lists:${user.id}`);
        navigateWithNotice(`/lists/${data.id}`, t.listCreated);
      }
    });
  const remove = () =>
    action.run(async () => {
      await call(api.DELETE('/api/v1/lists/{id}', { params: { path: { id: list!.id } } }));
      forget(`list:${list!.id}`);
      forget(`lists:${user.id}`);
      navigateWithNotice(`${profilePath(user.username)}/lists`, t.listDeleted, { replace: true });
    });

  return (
    <>
      <h1 id="list-form-title">{list ? t.editList : t.newList}</h1>
      <Form action={action} onSubmit={save} labelledBy="list-form-title">
        <Field label={t.listTitle} error={action.problem.fields.title}>
          {(control) => <input {...control} type="text" required maxLength={200} value={title} onInput={(e) => setTitle(e.currentTarget.value)} />}
        </Field>
        <Field label={t.listDescription} error={action.problem.fields.description} hint={t.listDescriptionHint(description.length, MAX_DESCRIPTION)}>
          {(control) => <textarea {...control} rows={4} maxLength={MAX_DESCRIPTION} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />}
        </Field>
        <div class="field field--check">
          <label>
            <input type="checkbox" checked={ranked} onChange={(e) => setRanked(e.currentTarget.checked)} /> {t.ranked}
          </label>
        </div>
        <div class="field field--check">
          <label>
            <input type="checkbox" checked={isPublic} onChange={(e) => setPublic(e.currentTarget.checked)} /> {t.publicList}
          </label>
        </div>
        <div class="form__actions">
          <button type="submit" class="button">
            {list ? t.save : t.createList}
          </button>
          {list && <ConfirmButton label={t.deleteList} question={t.deleteListQuestion} confirm={t.deleteReviewConfirm} onConfirm={remove} />}
        </div>
      </Form>
    </>
  );
}

function EditList({ user, id }: { user: User; id: number }) {
  const { t } = useI18n();
  const list = useResource(`list:${id}:${user.id}`, async (signal) => (await call(api.GET('/api/v1/lists/{id}', { params: { path: { id } }, signal }))).data);
  const [shown, setShown] = useState<List | null>(null);
  useEffect(() => {
    if (list.state === 'ready') setShown(list.data);
  }, [list.state, list.data]);
  if (list.state === 'loading' || (list.state === 'ready' && !shown)) return <LinesSkeleton label={t.loading} />;
  if (list.state === 'failed') return <LoadError error={list.error} onRetry={list.reload} />;
  if (shown!.user_id !== user.id) {
    return (
      <div class="alert" role="alert">
        <p>{t.errors.not_list_owner({})}</p>
      </div>
    );
  }
  return <ListForm key={id} user={user} list={shown} />;
}

/** /lists/new and /lists/<id>/edit: a list's title, description, ranking and privacy; and deleting it. */
export function ListFormPage({ id }: { id?: number }) {
  return <RequireUser>{(user) => (id === undefined ? <ListForm user={user} list={null} /> : <EditList user={user} id={id} />)}</RequireUser>;
}
