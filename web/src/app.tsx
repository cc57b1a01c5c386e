import type { VNode } from 'preact';
import { useErrorBoundary } from 'preact/hooks';
import { CredentialsPage } from './components/CredentialsPage';
import { Layout } from './components/Layout';
import { I18nProvider, useI18n } from './i18n';
import { NoticeProvider } from './notice';
import { AccountPage } from './pages/AccountPage';
import { DiaryPage } from './pages/DiaryPage';
import { EditProfilePage } from './pages/EditProfilePage';
import { ImportPage } from './pages/ImportPage';
import { ForgotPasswordPage, ResetPasswordPage } from './pages/PasswordResetPages';
import { FeedPage } from './pages/FeedPage';
import { FollowsPage } from './pages/FollowsPage';
import { ListFormPage } from './pages/ListFormPage';
import { ListPage } from './pages/ListPage';
import { HomePage } from './pages/HomePage';
import { MovieFormPage } from './pages/MovieFormPage';
import { MoviePage } from './pages/MoviePage';
import { MyReviewsPage } from './pages/MyReviewsPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { ProfilePage } from './pages/ProfilePage';
import { SearchPage } from './pages/SearchPage';
import { UserListsPage } from './pages/UserListsPage';
import { WatchlistPage } from './pages/WatchlistPage';
import { idParam } from './pages/query';
import { RouterProvider, match, useLocation } from './router';
import { CLIENT_ROUTES, type ClientRoute } from './routes';
import { SessionProvider } from './session';

type Params = Record<string, string>;

// Each page is keyed by what it shows, so opening another movie starts from a fresh page state.
// A Record over CLIENT_ROUTES: a route listed there without a page here (or the reverse) fails the type check.
const PAGES: Record<ClientRoute, (params: Params) => VNode | null> = {
  '/': () => <HomePage />,
  '/login': () => <CredentialsPage key="login" mode="login" />,
  '/signup': () => <CredentialsPage key="signup" mode="signup" />,
  '/account': () => <AccountPage />,
  '/account/profile': () => <EditProfilePage />,
  '/account/import': () => <ImportPage />,
  '/forgot-password': () => <ForgotPasswordPage />,
  '/reset-password': () => <ResetPasswordPage />,
  '/my-reviews': () => <MyReviewsPage />,
  '/search': () => <SearchPage />,
  '/admin/movies/new': () => <MovieFormPage key="new" />,
  '/movies/:id': ({ id }) => withId(id, (n) => <MoviePage key={n} id={n} />),
  '/movies/:id/edit': ({ id }) => withId(id, (n) => <MovieFormPage key={n} id={n} />),
  '/u/:username': ({ username }) => <ProfilePage key={username} username={username!} />,
  '/u/:username/diary': ({ username }) => <DiaryPage key={username} username={username!} />,
  '/u/:username/watchlist': ({ username }) => <WatchlistPage key={username} username={username!} />,
  '/u/:username/lists': ({ username }) => <UserListsPage key={username} username={username!} />,
  '/u/:username/followers': ({ username }) => <FollowsPage key={`${username}:followers`} username={username!} side="followers" />,
  '/u/:username/following': ({ username }) => <FollowsPage key={`${username}:following`} username={username!} side="following" />,
  '/feed': () => <FeedPage />,
  '/lists/new': () => <ListFormPage key="new" />,
  '/lists/:id': ({ id }) => withId(id, (n) => <ListPage key={n} id={n} />),
  '/lists/:id/edit': ({ id }) => withId(id, (n) => <ListFormPage key={`edit:${n}`} id={n} />),
};

function withId(raw: string | undefined, page: (id: number) => VNode): VNode | null {
  const id = idParam(raw);
  return id === null ? null : page(id);
}

function Page() {
  const { path } = useLocation();
  for (const pattern of CLIENT_ROUTES) {
    const params = match(pattern, path);
    if (params) return PAGES[pattern](params) ?? <NotFoundPage />;
  }
  return <NotFoundPage />;
}

/** A bug in a page shows a message and a way out instead of a blank screen. */
function Guarded() {
  const { t } = useI18n();
  const [error, reset] = useErrorBoundary();
  if (error) {
    return (
      <div class="alert" role="alert">
        <p>{t.unexpectedError}</p>
        <button type="button" class="button button--secondary" onClick={reset}>
          {t.retry}
        </button>
      </div>
    );
  }
  return <Page />;
}

export function App() {
  return (
    <I18nProvider>
      <RouterProvider>
        <SessionProvider>
          <NoticeProvider>
            <Layout>
              <Guarded />
            </Layout>
          </NoticeProvider>
        </SessionProvider>
      </RouterProvider>
    </I18nProvider>
  );
}
