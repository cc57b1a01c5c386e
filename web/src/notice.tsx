import { type ComponentChildren, createContext } from 'preact';
import { useCallback, useContext, useEffect, useMemo, useState } from 'preact/hooks';
import { navigate, useLocation } from './router';

/**
 * A one-line confirmation carried to the next page ("The movie is deleted." on the catalogue).
 * It belongs to the address it was sent to, so it is gone once the person moves on.
 */
interface Notice {
  text: string;
  href: string;
}

interface NoticeApi {
  notice: string | null;
  /** Goes to `href` and says `text` there. */
  navigateWithNotice: (href: string, text: string, options?: { replace?: boolean }) => void;
}

const NoticeContext = createContext<NoticeApi | null>(null);

export function NoticeProvider({ children }: { children: ComponentChildren }) {
  const location = useLocation();
  const [notice, setNotice] = useState<Notice | null>(null);
  const navigateWithNotice = useCallback((href: string, text: string, options: { replace?: boolean } = {}) => {
    setNotice({ text, href });
    navigate(href, options);
  }, []);
  useEffect(() => {
    if (notice && notice.href !== location.href) setNotice(null);
  }, [notice, location.href]);
  const shown = notice && notice.href === location.href ? notice.text : null;
  const value = useMemo(() => ({ notice: shown, navigateWithNotice }), [shown, navigateWithNotice]);
  return <NoticeContext.Provider value={value}>{children}</NoticeContext.Provider>;
}

export function useNotice(): NoticeApi {
  const api = useContext(NoticeContext);
  if (!api) throw new Error('useNotice outside NoticeProvider');
  return api;
}
