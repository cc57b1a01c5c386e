import { api, call } from '../api/client';
import { ApiError } from '../api/errors';
import { useAction } from '../hooks/action';
import { useI18n } from '../i18n';
import { Link, useLocation, withQuery } from '../router';
import { useNotice } from '../notice';
import { useSession } from '../session';
import { Alert } from './Alert';
import { Avatar } from './Avatar';
import { SiteSearch } from './SiteSearch';
import { profilePath } from './UserLink';

// Pages that make no sense once logged out; logging out there goes to the catalogue.
const PRIVATE = /^\/(?:account|my-reviews|admin\/)|\/edit$/;

function NavLink({ href, label }: { href: string; label: string }) {
  const { path } = useLocation();
  const here = path === href.split('?', 1)[0];
  return (
    <Link href={href} aria-current={here ? 'page' : undefined}>
      {label}
    </Link>
  );
}

function Logo() {
  return (
    <svg class="brand__logo" viewBox="0 0 32 32" width="28" height="28" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="7" />
      <path d="M9 8h14a2 2 0 0 1 2 2v9H7v-9a2 2 0 0 1 2-2Zm-3 12h20v3a1 1 0 0 1-1 1h-2v2h-2v-2h-10v2H9v-2H7a1 1 0 0 1-1-1Z" />
    </svg>
  );
}

export function Header() {
  const { t, lang, setLang } = useI18n();
  const { user, setUser } = useSession();
  const { path, href } = useLocation();
  const { navigateWithNotice } = useNotice();
  const logout = useAction([], { redirectOn401: false });
  const other = lang === 'en' ? 'es' : 'en';
  // Logging in from any page comes back to it; from the login and sign-up pages, to the catalogue.
  const next = path === '/' || path === '/login' || path === '/signup' ? undefined : href;

  const logOut = () =>
    logout.run(async () => {
      try {
        await call(api.POST('/api/v1/users/logout'));
      } catch (err) {
        // A session that had already ended (401) is as logged out as can be.
        if (!(err instanceof ApiError && err.status === 401)) throw err;
      }
      setUser(null);
      navigateWithNotice(PRIVATE.test(path) ? '/' : href, t.loggedOut);
    });

  return (
    <header class="site-header">
      <div class="container site-header__inner">
        <Link class="brand" href="/">
          <Logo />
          {t.appName}
        </Link>
        <SiteSearch />
        {user && (
          <Link class="user-chip" href={profilePath(user.username)} aria-label={t.signedInAs(user.username)}>
            <Avatar user={user} size={32} />
            <span class="user-chip__name">{user.display_name ?? user.username}</span>
          </Link>
        )}
        <nav class="site-nav" aria-label={t.mainNav}>
          <ul>
            {user && (
              <>
                <li>
                  <NavLink href="/my-reviews" label={t.navMyReviews} />
                </li>
                <li>
                  <NavLink href="/account" label={t.navAccount} />
                </li>
                {user.role === 'admin' && (
                  <li>
                    <NavLink href="/admin/movies/new" label={t.navAddMovie} />
                  </li>
                )}
                <li>
                  <button type="button" class="button button--ghost" onClick={logOut}>
                    {t.navLogOut}
                  </button>
                </li>
              </>
            )}
            {user === null && (
              <>
                <li>
                  <NavLink href={withQuery('/login', { next })} label={t.navLogIn} />
                </li>
                <li>
                  <NavLink href={withQuery('/signup', { next })} label={t.navSignUp} />
                </li>
              </>
            )}
            <li>
              <button type="button" class="button button--ghost lang-switch" lang={other} onClick={() => setLang(other)}>
                {t.switchLanguage}
              </button>
            </li>
          </ul>
        </nav>
      </div>
      <div class="container">
        <Alert problem={logout.problem} onRetry={logout.retry} />
      </div>
    </header>
  );
}
