import { useEffect } from 'preact/hooks';
import { toProblem } from '../api/problem';
import { loginUrl } from '../hooks/action';
import { useI18n } from '../i18n';
import { Link, navigate, useLocation } from '../router';
import { useSession } from '../session';
import { Alert } from './Alert';

/**
 * What a page shows when its data did not load: the reason, Retry when trying again may help,
 * and a way home. A 401 (the session ended) goes to the login page and comes back here.
 */
export function LoadError({ error, onRetry }: { error: unknown; onRetry: () => void }) {
  const { t } = useI18n();
  const { setUser } = useSession();
  const location = useLocation();
  const problem = toProblem(error, t);

  useEffect(() => {
    if (!problem.unauthorized) return;
    setUser(null);
    navigate(loginUrl(location.href), { replace: true });
  }, [problem.unauthorized, setUser, location.href]);

  return (
    <div class="load-error">
      <Alert problem={problem} onRetry={onRetry} />
      {!problem.retry && (
        <p>
          <Link href="/">{t.backHome}</Link>
        </p>
      )}
    </div>
  );
}
