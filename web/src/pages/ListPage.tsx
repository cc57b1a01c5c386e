import { useEffect, useRef, useState } from 'preact/hooks';
import { type List, type ListItem, api, call, page } from '../api/client';
import { Alert, Status } from '../components/Alert';
import { LoadError } from '../components/LoadError';
import { Poster } from '../components/Poster';
import { LinesSkeleton } from '../components/Skeleton';
import { UserLink } from '../components/UserLink';
import { useAction } from '../hooks/action';
import { forget, useResource } from '../hooks/resource';
import { useTitle } from '../hooks/title';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { useSession } from '../session';

/** Shown at once; a list may hold 5,000, and the API pages them (the rest: a later round). */
const SHOWN = 100;

/**
 * A list's films in order. Its owner reorders them by dragging a film onto another's place, or by
 * keyboard with each film's Move up and Move down buttons (the focus stays on the button pressed,
 * on the film it moved, and a status line says where it went), and takes films off it.
 */
function Items({ list, owned }: { list: List; owned: boolean }) {
  const { t } = useI18n();
  const action = useAction();
  const [status, setStatus] = useState<string | null>(null);
  const { user } = useSession();
  // Keyed by who asks too: a private list's items are its owner's alone.
  const loaded = useResource(`list-items:${list.id}:${user?.id ?? 0}`, (signal) =>
    page(api.GET('/api/v1/lists/{id}/items', { params: { path: { id: list.id }, query: { limit: SHOWN } }, signal })),
  );
  const [items, setItems] = useState<ListItem[]>([]);
  const dragged = useRef<number | null>(null);
  const focusAfter = useRef<string | null>(null);
  const root = useRef<HTMLOListElement>(null);
  useEffect(() => {
    if (loaded.state === 'ready') setItems(loaded.data.items);
  }, [loaded.state, loaded.data]);
  useEffect(() => {
    if (!focusAfter.current) return;
    root.current?.querySelector<HTMLElement>(`[data-focus="${focusAfter.current}"]`)?.focus();
    focusAfter.current = null;
  });

  if (loaded.state === 'loading') return <LinesSkeleton lines={5} label={t.loading} />;
  if (loaded.state === 'failed') return <LoadError error={loaded.error} onRetry={loaded.reload} />;
  if (items.length === 0) return <p class="empty">{t.emptyList}</p>;

  const move = (from: number, to: number, focus?: string) => {
    // One write at a time: the next move starts from the order the last one left.
    if (action.pending || to < 0 || to >= items.length || to === from) return;
    const before = items;
    const moving = before[from]!;
    const next = [...before];
    next.splice(from, 1);
    next.splice(to, 0, moving);
    if (focus) focusAfter.current = `${focus}-${moving.movie.id}`;
    void action.run(async () => {
      setItems(next.map((item, i) => ({ ...item, position: i + 1 })));
      try {
        setStatus(null);
        await call(api.PUT('/api/v1/lists/{id}/items/{movie_id}', { params: { path: { id: list.id, movie_id: moving.movie.id } }, body: { position: to + 1 } }));
        setStatus(t.moved(moving.movie.title, to + 1));
        forget(`list:${list.id}`);
      } catch (err) {
        setItems(before);
        throw err;
      }
    });
  };
  const remove = (index: number) => {
    if (action.pending) return;
    const before = items;
    const gone = before[index]!;
    void action.run(async () => {
      setItems(before.filter((_, i) => i !== index).map((item, i) => ({ ...item, position: i + 1 })));
      try {
        setStatus(null);
        await call(api.DELETE('/api/v1/lists/{id}/items/{movie_id}', { params: { path: { id: list.id, movie_id: gone.movie.id } } }));
        setStatus(t.removedFromList(gone.movie.title));
        forget(`list:${list.id}`);
      } catch (err) {
        setItems(before);
        throw err;
      }
    });
  };

  return (
    <>
      {owned && <p class="muted">{t.dragHint}</p>}
      <ol ref={root} class={list.ranked ? 'list-items list-items--ranked' : 'list-items'}>
        {items.map((item, i) => (
          <li
            key={item.movie.id}
            class="list-item"
            draggable={owned}
            onDragStart={(e) => {
              dragged.current = i;
              e.dataTransfer?.setData('text/plain', String(item.movie.id));
            }}
            onDragOver={(e) => owned && e.preventDefault()}
            onDrop={(e) => {
              e.preventDefault();
              if (dragged.current !== null) move(dragged.current, i);
              dragged.current = null;
            }}
          >
            {list.ranked && (
              <span class="list-item__position" aria-hidden="true">
                {item.position}
              </span>
            )}
            <div class="list-item__poster">
              <Poster movie={item.movie} sizes="64px" alt="" lazy />
            </div>
            <div class="list-item__text">
              <Link href={`/movies/${item.movie.id}`}>{item.movie.title}</Link> {item.movie.year !== null && <span class="muted">{item.movie.year}</span>}
              {item.note && <p class="list-item__note">{item.note}</p>}
            </div>
            {owned && (
              <div class="list-item__actions">
                <button type="button" class="button button--secondary button--small" data-focus={`up-${item.movie.id}`} aria-label={t.moveUp(item.movie.title)} disabled={i === 0} onClick={() => move(i, i - 1, 'up')}>
                  ↑
                </button>
                <button
                  type="button"
                  class="button button--secondary button--small"
                  data-focus={`down-${item.movie.id}`}
                  aria-label={t.moveDown(item.movie.title)}
                  disabled={i === items.length - 1}
                  onClick={() => move(i, i + 1, 'down')}
                >
                  ↓
                </button>
                <button type="button" class="button button--danger button--small" aria-label={t.removeFromList(item.movie.title)} onClick={() => remove(i)}>
                  ✕
                </button>
              </div>
            )}
          </li>
        ))}
      </ol>
      <Alert problem={action.problem} onRetry={action.retry} />
      <Status text={status} />
    </>
  );
}

/** /lists/<id>: a list, its owner and its films; a private one is "not found" to everyone but its owner. */
export function ListPage({ id }: { id: number }) {
  const { t } = useI18n();
  const { user } = useSession();
  const list = useResource(`list:${id}:${user?.id ?? 0}`, async (signal) => (await call(api.GET('/api/v1/lists/{id}', { params: { path: { id } }, signal }))).data);
  const owner = useResource(list.state === 'ready' ? `user:${list.data.user_id}` : null, async (signal) =>
    (await call(api.GET('/api/v1/users/{id}', { params: { path: { id: list.data!.user_id } }, signal }))).data,
  );
  useTitle(list.state === 'ready' ? list.data.title : null);
  if (list.state === 'loading') return <LinesSkeleton lines={6} label={t.loading} />;
  if (list.state === 'failed') return <LoadError error={list.error} onRetry={list.reload} />;
  const owned = user?.id === list.data.user_id;
  return (
    <article class="list-page">
      <h1>{list.data.title}</h1>
      <p class="muted">
        {owner.state === 'ready' && (
          <>
            {`${t.listBy} `}
            <UserLink username={owner.data.username} /> ·{' '}
          </>
        )}
        {t.filmCount(list.data.item_count)}
        {!list.data.public && <span class="badge">{t.privateList}</span>}
      </p>
      {list.data.description && <p class="list-page__description">{list.data.description}</p>}
      {owned && (
        <p>
          <Link class="button button--secondary" href={`/lists/${id}/edit`}>
            {t.editList}
          </Link>
        </p>
      )}
      <Items list={list.data} owned={owned} />
    </article>
  );
}
