import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

import { ApiError, request } from './client';

/** `GET /api/auth/session`: the server's AUTH_MODE and whether this browser is logged in. */
export interface Session {
  mode: 'none' | 'password' | 'proxy';
  authenticated: boolean;
  user: string | null;
  /** AUTH_MODE=password only: false until the owner ran `manhwa set-password`. */
  passwordSet: boolean | null;
}

const MODES = ['none', 'password', 'proxy'] as const;

export function decodeSession(raw: unknown): Session {
  if (typeof raw !== 'object' || raw === null) throw new ApiError(200, 'The server sent an unreadable session');
  const o = raw as Record<string, unknown>;
  const mode = MODES.find((m) => m === o.mode);
  if (mode === undefined || typeof o.authenticated !== 'boolean') {
    throw new ApiError(200, 'The server sent an unreadable session');
  }
  return {
    mode,
    authenticated: o.authenticated,
    user: typeof o.user === 'string' ? o.user : null,
    passwordSet: typeof o.password_set === 'boolean' ? o.password_set : null,
  };
}

export async function fetchSession(signal?: AbortSignal): Promise<Session> {
  return decodeSession(await request('/auth/session', { signal }));
}

export const sessionQueryKey = ['auth', 'session'] as const;

/** Read once and kept; a 401 anywhere (AuthGate) or a login/logout re-reads it. No retry on
 * mount: an unreadable session shows the app, and the header's reader must not refetch it. */
export const sessionQueryOptions = () =>
  queryOptions({
    queryKey: sessionQueryKey,
    queryFn: ({ signal }) => fetchSession(signal),
    retry: false,
    retryOnMount: false,
    staleTime: Infinity,
  });

export function useSession() {
  return useQuery(sessionQueryOptions());
}

/** True when the server wants a login this browser does not have. */
export function needsLogin(session: Session | undefined): boolean {
  return session !== undefined && session.mode !== 'none' && !session.authenticated;
}

export async function login(password: string): Promise<void> {
  await request('/auth/login', { method: 'POST', json: { password } });
}

export async function logout(): Promise<void> {
  await request('/auth/logout', { method: 'POST' });
}

/** Logs in, then re-reads the session (which shows the app). */
export function useLogin() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: login,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: sessionQueryKey }),
  });
}

/** Logs out and forgets every cached answer, so nothing of the last session stays on screen. */
export function useLogout() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: logout,
    onSuccess: () => {
      queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== 'auth' });
      return queryClient.invalidateQueries({ queryKey: sessionQueryKey });
    },
  });
}
