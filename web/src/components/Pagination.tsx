import { useI18n } from '../i18n';
import { Link } from '../router';

interface PaginationProps {
  page: number;
  pages: number;
  href: (page: number) => string;
  /** After a page link is followed: the page moves the focus to the top of the new list. */
  onNavigate?: () => void;
}

/** Previous / Next as real links (the page lives in the URL), and where we are. */
export function Pagination({ page, pages, href, onNavigate }: PaginationProps) {
  const { t } = useI18n();
  if (pages <= 1) return null;
  return (
    <nav class="pagination" aria-label={t.pagination}>
      {page > 1 ? (
        <Link class="button button--secondary" href={href(page - 1)} rel="prev" onClick={onNavigate}>
          <span aria-hidden="true">← </span>
          {t.previous}
        </Link>
      ) : (
        <span />
      )}
      <p class="pagination__where">{t.pageOf(page, pages)}</p>
      {page < pages ? (
        <Link class="button button--secondary" href={href(page + 1)} rel="next" onClick={onNavigate}>
          {t.next}
          <span aria-hidden="true"> →</span>
        </Link>
      ) : (
        <span />
      )}
    </nav>
  );
}
