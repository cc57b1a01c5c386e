import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { useI18n } from '../i18n';
import { useNotice } from '../notice';
import { useLocation } from '../router';
import { Header } from './Header';

/**
 * The frame of every page: skip link, header, main and footer. On a new page the focus moves to
 * <main>, as a full page load would reset it, so keyboard and screen-reader users start at the
 * content instead of deep inside the previous page's controls.
 */
export function Layout({ children }: { children: ComponentChildren }) {
  const { t } = useI18n();
  const { notice } = useNotice();
  const { path, pop } = useLocation();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);

  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus({ preventScroll: true });
    if (!pop) window.scrollTo(0, 0);
  }, [path]); // eslint-disable-line react-hooks/exhaustive-deps -- only a new path is a new page

  return (
    <>
      <a class="skip-link" href="#main">
        {t.skipToContent}
      </a>
      <Header />
      <main id="main" class="container main" tabIndex={-1}>
        <div class="notice-region" role="status">
          {notice && <p class="notice">{notice}</p>}
        </div>
        {children}
      </main>
      <footer class="site-footer">
        <div class="container">
          <p>
            {t.footer} <a href="/docs">{t.apiDocs}</a>.
          </p>
        </div>
      </footer>
    </>
  );
}
