import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import type { User } from '../api/client';
import { loginUrl } from '../hooks/action';
import { useI18n } from '../i18n';
import { navigate, useLocation } from '../router';
import { useSession } from '../session';
import { LinesSkeleton } from './Skeleton';

/**
 * Pages for logged-in people (or administrators): anyone else is sent to log in and brought back
 * here, before any request of the page can answer 401.
 */
export function RequireUser({ admin = false, children }: { admin?: boolean; children: (user: User) => ComponentChildren }) {
  const { t } = useI18n();
  const { user } = useSession();
  const location = useLocation();

  useEffect(() => {
    if (user === null) navigate(loginUrl(location.href), { replace: true });
  }, [user, location.href]);

  if (!user) return <LinesSkeleton label={t.loading} />;
  if (admin && user.role !== 'admin') {
    return (
      <div class="alert" role="alert">
        <p>{t.adminOnly}</p>
      </div>
    );
  }
  return <>{children(user)}</>;
}
