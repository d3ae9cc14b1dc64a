import { QueryClientProvider } from '@tanstack/react-query';
import { act, fireEvent, render, screen } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { describe, expect, it } from 'vitest';

import { request } from '../api/client';
import { json, mockFetch } from '../test/fetch';
import { testQueryClient } from '../test/render';
import { AuthGate } from './AuthGate';
import { LogoutButton } from './LogoutButton';

function session(authenticated: boolean, extra: Record<string, unknown> = {}) {
  return { mode: 'password', authenticated, user: authenticated ? 'owner' : null, password_set: true, ...extra };
}

function renderGate() {
  render(
    <QueryClientProvider client={testQueryClient()}>
      <MemoryRouter>
        <AuthGate>
          <p>the app</p>
          <LogoutButton />
        </AuthGate>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

describe('AuthGate', () => {
  it('shows the app directly when the server has no login', async () => {
    mockFetch({ 'GET /api/auth/session': () => json({ mode: 'none', authenticated: true, user: 'owner' }) });
    renderGate();
    expect(await screen.findByText('the app')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Log out' })).not.toBeInTheDocument();
  });

  it('shows the app when the session cannot be read (the server decides)', async () => {
    const { calls } = mockFetch({});
    renderGate();
    expect(await screen.findByText('the app')).toBeInTheDocument();
    expect(calls).toHaveLength(1);
  });

  it('asks for the password, logs in and shows the app with a logout button', async () => {
    let loggedIn = false;
    const { calls } = mockFetch({
      'GET /api/auth/session': () => json(session(loggedIn)),
      'POST /api/auth/login': (call) => {
        loggedIn = (call.body as { password: string }).password === 'right one';
        return loggedIn ? new Response(null, { status: 204 }) : json({ detail: 'wrong password' }, 401);
      },
      'POST /api/auth/logout': () => {
        loggedIn = false;
        return new Response(null, { status: 204 });
      },
    });
    renderGate();
    const field = await screen.findByLabelText('Password');
    expect(screen.queryByText('the app')).not.toBeInTheDocument();

    fireEvent.change(field, { target: { value: 'wrong' } });
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('wrong password');

    fireEvent.change(field, { target: { value: 'right one' } });
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    expect(await screen.findByText('the app')).toBeInTheDocument();
    expect(calls.filter((c) => c.url === '/api/auth/login').map((c) => c.body)).toEqual([
      { password: 'wrong' },
      { password: 'right one' },
    ]);

    fireEvent.click(await screen.findByRole('button', { name: 'Log out' }));
    expect(await screen.findByLabelText('Password')).toBeInTheDocument();
    expect(calls.some((c) => c.method === 'POST' && c.url === '/api/auth/logout')).toBe(true);
  });

  it('says how to set a password when none is set', async () => {
    mockFetch({ 'GET /api/auth/session': () => json(session(false, { password_set: false })) });
    renderGate();
    expect(await screen.findByRole('alert')).toHaveTextContent('manhwa set-password');
  });

  it('returns to the login page when any API call answers 401', async () => {
    let loggedIn = true;
    mockFetch({
      'GET /api/auth/session': () => json(session(loggedIn)),
      'GET /api/downloads': () => json({ detail: 'login required' }, 401),
    });
    renderGate();
    expect(await screen.findByText('the app')).toBeInTheDocument();
    loggedIn = false; // the session expired on the server
    await act(async () => {
      await request('/downloads').catch(() => undefined);
    });
    expect(await screen.findByLabelText('Password')).toBeInTheDocument();
  });
});
