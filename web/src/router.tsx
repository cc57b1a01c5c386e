import { type ComponentChildren, type PartialAnchorHTMLAttributes, type TargetedMouseEvent, createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';

/**
 * A small router over the History API: the whole state of a page lives in its URL (path and
 * query), so reload, shared links and the back button restore it.
 */
export interface Location {
  path: string;
  query: URLSearchParams;
  /** Path and query, as used for `next=` after a login. */
  href: string;
  /** Reached with the back or forward button: the browser restores the scroll position. */
  pop: boolean;
}

// pushState fires no event of its own; navigate() raises this one so every listener hears both.
const CHANGE = 'butaca:navigate';

function current(pop = false): Location {
  const { pathname, search } = window.location;
  return { path: pathname, query: new URLSearchParams(search), href: pathname + search, pop };
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === current().href) return;
  if (options.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  window.dispatchEvent(new Event(CHANGE));
}

const LocationContext = createContext<Location | null>(null);

export function RouterProvider({ children }: { children: ComponentChildren }) {
  const [location, setLocation] = useState(() => current());
  useEffect(() => {
    const pushed = () => setLocation(current());
    const popped = () => setLocation(current(true));
    window.addEventListener(CHANGE, pushed);
    window.addEventListener('popstate', popped);
    return () => {
      window.removeEventListener(CHANGE, pushed);
      window.removeEventListener('popstate', popped);
    };
  }, []);
  return <LocationContext.Provider value={location}>{children}</LocationContext.Provider>;
}

export function useLocation(): Location {
  const location = useContext(LocationContext);
  if (!location) throw new Error('useLocation outside RouterProvider');
  return location;
}

/** `pattern` like "/movies/:id/edit"; the named parts of `path`, or null when it does not match. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/');
  const got = path.replace(/\/+$/, '').split('/');
  if (path === '/') got.splice(1, 1, '');
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (w.startsWith(':')) {
      if (g === '') return null;
      params[w.slice(1)] = decodeURIComponent(g);
    } else if (w !== g) return null;
  }
  return params;
}

/** A path with its query, leaving out empty values. */
export function withQuery(path: string, query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(key, String(value));
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

/**
 * Only a path on this site may follow a login: `next=//evil.example` or `next=https://…` would
 * otherwise send a person elsewhere straight after they typed their password.
 */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/';
}

type LinkProps = Omit<PartialAnchorHTMLAttributes<HTMLAnchorElement>, 'href' | 'role'> & { href: string };

/** A real link (it opens in a new tab, it can be copied) that navigates in place on a plain click. */
export function Link({ href, onClick, ...props }: LinkProps) {
  const follow = (event: TargetedMouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(href);
  };
  return <a href={href} onClick={follow} {...props} />;
}
