import { useEffect } from 'preact/hooks';

/** The tab's title, which is also what a screen reader announces first on a new page. */
export function useTitle(title: string | null): void {
  useEffect(() => {
    document.title = title ? `${title} · Butaca` : 'Butaca';
  }, [title]);
}
