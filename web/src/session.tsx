import { type ComponentChildren, createContext } from 'preact';
import { useCallback, useContext, useEffect, useMemo, useState } from 'preact/hooks';
import { type User, api, call } from './api/client';
import { forget } from './hooks/resource';

/**
 * Who is logged in. The session itself is an HttpOnly cookie the page cannot read, so the client
 * asks the API once at start (GET /users/me) and then keeps what login, logout and 401s tell it.
 * `user` is undefined until that first answer.
 */
export interface Session {
  user: User | null | undefined;
  setUser: (user: User | null) => void;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ComponentChildren }) {
  const [user, setUserState] = useState<User | null | undefined>(undefined);

  useEffect(() => {
    let live = true;
    // A 401 means nobody is logged in. Any other failure is taken the same way: the page shows
    // its own error, and logging in still works once the API answers.
    call(api.GET('/api/v1/users/me')).then(
      ({ data }) => live && setUserState(data),
      () => live && setUserState(null),
    );
    return () => {
      live = false;
    };
  }, []);

  const setUser = useCallback((next: User | null) => {
    // What was loaded for one member (their private lists, their feed) is not for the next one,
    // nor for nobody: a change of who is signed in forgets every remembered answer.
    setUserState((current) => {
      if ((current?.id ?? null) !== (next?.id ?? null)) forget('');
      return next;
    });
  }, []);
  const value = useMemo(() => ({ user, setUser }), [user, setUser]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}
