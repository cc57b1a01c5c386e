import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { isAbort } from '../api/errors';

export type Resource<T> =
  | { state: 'loading'; data?: undefined; error?: undefined }
  | { state: 'ready'; data: T; error?: undefined }
  | { state: 'failed'; data?: undefined; error: unknown };

// The last answers by key, so that going back shows the previous page at once (and the browser
// can restore its scroll position) while a fresh copy loads behind it.
const cache = new Map<string, unknown>();
const CACHE_SIZE = 40;

function remember(key: string, data: unknown): void {
  cache.delete(key);
  cache.set(key, data);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
}

/**
 * Loads what `key` names (null: nothing to load) and loads it again when the key changes.
 * `reload` fetches the same key again.
 */
export function useResource<T>(key: string | null, load: (signal: AbortSignal) => Promise<T>): Resource<T> & { reload: () => Promise<void> } {
  const [resource, setResource] = useState<Resource<T>>(() =>
    key !== null && cache.has(key) ? { state: 'ready', data: cache.get(key) as T } : { state: 'loading' },
  );
  // The loader is read at call time, so callers may pass an inline function.
  const loader = useRef(load);
  loader.current = load;
  const controller = useRef<AbortController | null>(null);
  const shown = useRef(resource);
  shown.current = resource;

  const fetchKey = useCallback(async (wanted: string, quiet: boolean) => {
    controller.current?.abort();
    const mine = new AbortController();
    controller.current = mine;
    if (!quiet) setResource({ state: 'loading' });
    try {
      const data = await loader.current(mine.signal);
      if (mine.signal.aborted) return;
      remember(wanted, data);
      setResource({ state: 'ready', data });
    } catch (error) {
      if (mine.signal.aborted || isAbort(error)) return;
      // A failed background refresh keeps what is shown rather than replacing it with an error.
      setResource((current) => (quiet && current.state === 'ready' ? current : { state: 'failed', error }));
    }
  }, []);

  useEffect(() => {
    if (key === null) return;
    const cached = cache.has(key);
    if (cached) setResource({ state: 'ready', data: cache.get(key) as T });
    void fetchKey(key, cached);
    return () => controller.current?.abort();
  }, [key, fetchKey]);

  // Refreshing what is shown is quiet; retrying after a failure shows the loading state again.
  const reload = useCallback(async () => {
    if (key !== null) await fetchKey(key, shown.current.state === 'ready');
  }, [key, fetchKey]);

  return { ...resource, reload };
}

/** Forgets cached answers whose key starts with `prefix`, after a write made them stale. */
export function forget(prefix: string): void {
  for (const key of [...cache.keys()]) if (key.startsWith(prefix)) cache.delete(key);
}
