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
