import { QueryClientProvider } from '@tanstack/react-query';
import { render, screen } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { describe, expect, it } from 'vitest';

import { ApiError } from './api/client';
import { AppRoutes, shouldRetry } from './App';
import { json, mockFetch } from './test/fetch';
import { testQueryClient } from './test/render';

function renderAt(url: string) {
  render(
    <QueryClientProvider client={testQueryClient()}>
      <MemoryRouter initialEntries={[url]}>
        <AppRoutes />
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

describe('App', () => {
  it('has a header with navigation and a health dot', async () => {
    mockFetch({
      'GET /api/health': () => json({ status: 'ok', redis: 'ok', workers: 1, queues: {}, consumet: 'ok' }),
      'GET /api/downloads': () => json({ jobs: [] }),
    });
    renderAt('/downloads');
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(nav).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Search' })).toHaveAttribute('href', '/');
    expect(screen.getByRole('link', { name: 'Downloads' })).toHaveAttribute('aria-current', 'page');
    expect(await screen.findByRole('heading', { level: 1, name: 'Downloads' })).toBeInTheDocument();
    expect(await screen.findByRole('img', { name: 'Server health: ok' })).toBeInTheDocument();
  });

  it('shows a not-found page for unknown paths', () => {
    mockFetch({});
    renderAt('/nope');
    expect(screen.getByRole('heading', { name: 'Page not found' })).toBeInTheDocument();
  });

  it('retries only transient failures, once', () => {
    expect(shouldRetry(0, new ApiError(404, 'x'))).toBe(false);
    expect(shouldRetry(0, new ApiError(502, 'x'))).toBe(true);
    expect(shouldRetry(0, new ApiError(0, 'x'))).toBe(true);
    expect(shouldRetry(1, new ApiError(502, 'x'))).toBe(false);
  });
});
