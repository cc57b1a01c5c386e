import { useTitle } from '../hooks/title';
import { useI18n } from '../i18n';
import { Link } from '../router';

export function NotFoundPage() {
  const { t } = useI18n();
  useTitle(t.notFoundTitle);
  return (
    <div class="empty">
      <h1>{t.notFoundTitle}</h1>
      <p>{t.notFoundText}</p>
      <Link href="/">{t.backHome}</Link>
    </div>
  );
}
