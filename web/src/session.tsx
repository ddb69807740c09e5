// Who is signed in: read from /users/current at start (the session cookie may outlive a
// reload), set by the sign-in form, cleared by sign-out.
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import type { UserView } from '@berth/api-types';
import { ApiError, login, logout } from './api/client';
import { currentUser } from './api/users';

interface Session {
  user: UserView | null | undefined;
  /** The user signed out here (rather than arriving without a session). */
  signedOut: boolean;
  signIn(username: string, password: string): Promise<void>;
  signOut(): Promise<void>;
  /** Reads the user again (after a sign-in the server finished, such as OIDC onboarding). */
  refresh(): Promise<void>;
}

const SessionContext = createContext<Session | undefined>(undefined);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<UserView | null | undefined>(undefined);
  const [signedOut, setSignedOut] = useState(false);
  useEffect(() => {
    currentUser().then(setUser, (err) => setUser(err instanceof ApiError && err.status === 401 ? null : null));
  }, []);
  const session: Session = {
    user,
    signedOut,
    async signIn(username, password) {
      await login(username, password);
      setSignedOut(false);
      setUser(await currentUser());
    },
    async refresh() {
      setSignedOut(false);
      setUser(await currentUser());
    },
    async signOut() {
      await logout();
      setSignedOut(true);
      setUser(null);
    },
  };
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}
