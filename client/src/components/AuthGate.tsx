import { useQueryClient } from '@tanstack/react-query';
import { useEffect, type ReactNode } from 'react';

import { needsLogin, sessionQueryKey, useSession } from '../api/auth';
import { onUnauthorized } from '../api/client';
import { LoginPage } from '../pages/LoginPage';

/**
 * Shows the login page instead of the app while the server wants a login, and again as soon as
 * any API call answers 401 (the session ended or was logged out elsewhere). When the session
 * cannot be read at all (an older server), the app is shown: the server still decides.
 */
export function AuthGate({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const session = useSession();

  useEffect(
    () => onUnauthorized(() => void queryClient.invalidateQueries({ queryKey: sessionQueryKey })),
    [queryClient],
  );

  if (session.isPending) return null; // a blink, so pages do not fire requests that 401
  if (needsLogin(session.data) && session.data) {
    return (
      <main id="main" className="app-main">
        <LoginPage session={session.data} />
      </main>
    );
  }
  return <>{children}</>;
}
