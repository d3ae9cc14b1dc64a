import { useState, type SubmitEvent } from 'react';

import { useLogin, type Session } from '../api/auth';
import { errorText } from '../api/client';
import { useDocumentTitle } from '../hooks/useDocumentTitle';

/** The login (AUTH_MODE=password), or where to log in (AUTH_MODE=proxy). Shown by AuthGate. */
export function LoginPage({ session }: { session: Session }) {
  useDocumentTitle('Log in');
  const [password, setPassword] = useState('');
  const login = useLogin();

  if (session.mode === 'proxy') {
    return (
      <section className="login state">
        <h1>Log in</h1>
        <p>This app is behind a login proxy, which did not pass a user. Reload the page to log in there.</p>
      </section>
    );
  }

  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (password) login.mutate(password);
  };

  return (
    <section className="login">
      <h1>Log in</h1>
      {session.passwordSet === false ? (
        <p role="alert" className="error-text">
          No password is set yet. On the server, run <code>manhwa set-password</code> (with Docker:{' '}
          <code>docker compose exec api manhwa set-password</code>).
        </p>
      ) : null}
      <form onSubmit={submit} className="login-form">
        <label htmlFor="login-password">Password</label>
        <input
          id="login-password"
          type="password"
          autoComplete="current-password"
          autoFocus
          value={password}
          onChange={(event) => setPassword(event.target.value)}
        />
        <button type="submit" className="btn btn-primary" disabled={login.isPending || !password}>
          {login.isPending ? 'Logging in…' : 'Log in'}
        </button>
      </form>
      {login.isError ? (
        <p role="alert" className="error-text">
          {errorText(login.error)}
        </p>
      ) : null}
    </section>
  );
}
