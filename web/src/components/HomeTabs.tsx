import { useI18n } from '../i18n';
import { Link } from '../router';
import { useSession } from '../session';

/** The signed-in home's two tabs: the catalogue ("Films", /) and the feed ("Friends", /feed). Links, so each has its address. */
export function HomeTabs({ current }: { current: 'films' | 'friends' }) {
  const { t } = useI18n();
  const { user } = useSession();
  if (!user) return null;
  return (
    <nav class="tabs" aria-label={t.homeTabs}>
      <Link class="tabs__tab" href="/" aria-current={current === 'films' ? 'page' : undefined}>
        {t.tabFilms}
      </Link>
      <Link class="tabs__tab" href="/feed" aria-current={current === 'friends' ? 'page' : undefined}>
        {t.tabFriends}
      </Link>
    </nav>
  );
}
