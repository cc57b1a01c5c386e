import { useCallback, useMemo, useRef, useState } from 'preact/hooks';
import { NO_PROBLEM, type Problem, toProblem } from '../api/problem';
import { useI18n } from '../i18n';
import { navigate, useLocation, withQuery } from '../router';
import { useSession } from '../session';

export const loginUrl = (next: string): string => withQuery('/login', { next });

export interface Action {
  /** Runs `work` unless a run is already going; a failure becomes `problem`. */
  run: (work: () => Promise<void>) => Promise<void>;
  /** Runs the last work again (the Retry button of a network failure). */
  retry: () => void;
  pending: boolean;
  problem: Problem;
}

/**
 * State for one form's submission. The error is kept as it came and mapped to text at render time,
 * so the message follows a change of language. A 401 sends the person to log in and back here,
 * except where a 401 is the answer itself (`redirectOn401: false`, the login form).
 */
export function useAction(fields: readonly string[] = [], options: { redirectOn401?: boolean } = {}): Action {
  const { t } = useI18n();
  const { setUser } = useSession();
  const location = useLocation();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const last = useRef<(() => Promise<void>) | null>(null);
  const busy = useRef(false);
  const here = useRef(location.href);
  here.current = location.href;
  const redirect = options.redirectOn401 ?? true;

  const run = useCallback(
    async (work: () => Promise<void>) => {
      if (busy.current) return;
      busy.current = true;
      last.current = work;
      setPending(true);
      setError(null);
      try {
        await work();
      } catch (err) {
        if (redirect && toProblem(err, t).unauthorized) {
          setUser(null);
          navigate(loginUrl(here.current));
        } else {
          setError(err);
        }
      } finally {
        busy.current = false;
        setPending(false);
      }
    },
    [redirect, setUser, t],
  );

  const retry = useCallback(() => {
    if (last.current) void run(last.current);
  }, [run]);
  const problem = useMemo(() => (error === null ? NO_PROBLEM : toProblem(error, t, fields)), [error, t, fields]);
  return { run, retry, pending, problem };
}
