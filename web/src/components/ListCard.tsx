import type { List } from '../api/client';
import { useI18n } from '../i18n';
import { Link } from '../router';

/** A list in a member's lists: its title (a link), how many films, and whether it is private. */
export function ListCard({ list }: { list: List }) {
  const { t } = useI18n();
  return (
    <article class="list-card">
      <h3 class="list-card__title">
        <Link href={`/lists/${list.id}`}>{list.title}</Link>
      </h3>
      <p class="muted">
        {t.filmCount(list.item_count)}
        {!list.public && <span class="badge">{t.privateList}</span>}
      </p>
      {list.description && <p class="list-card__description">{list.description}</p>}
    </article>
  );
}

/** A member's lists as cards, or "No lists yet." */
export function ListCards({ lists }: { lists: List[] }) {
  const { t } = useI18n();
  if (lists.length === 0) return <p class="empty">{t.noLists}</p>;
  return (
    <ul class="lists">
      {lists.map((list) => (
        <li key={list.id}>
          <ListCard list={list} />
        </li>
      ))}
    </ul>
  );
}
