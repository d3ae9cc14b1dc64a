import { useLogout, useSession } from '../api/auth';

/** "Log out" in the header, only where a login exists (AUTH_MODE=password and logged in). */
export function LogoutButton() {
  const session = useSession();
  const logout = useLogout();
  if (session.data?.mode !== 'password' || !session.data.authenticated) return null;
  return (
    <button type="button" className="btn btn-ghost btn-small" onClick={() => logout.mutate()} disabled={logout.isPending}>
      Log out
    </button>
  );
}
