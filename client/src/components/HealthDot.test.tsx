import { screen } from '@testing-library/react';
import { vi, describe, expect, it } from 'vitest';

import { json, mockFetch } from '../test/fetch';
import { renderRoute } from '../test/render';
import { HealthDot } from './HealthDot';

const healthy = { status: 'ok', redis: 'ok', workers: 1, queues: { downloads: 0, cleanup: 0 }, consumet: 'ok' };

describe('HealthDot', () => {
  it('is green when the server is healthy', async () => {
    mockFetch({ 'GET /api/health': () => json(healthy) });
    renderRoute(<HealthDot />);
    expect(screen.getByRole('img', { name: 'Server health: checking' })).toBeInTheDocument();
    expect(await screen.findByRole('img', { name: 'Server health: ok' })).toHaveClass('health-ok');
  });

  it('is amber when degraded (503 with the same body)', async () => {
    mockFetch({ 'GET /api/health': () => json({ ...healthy, status: 'degraded', consumet: 'error: timeout' }, 503) });
    renderRoute(<HealthDot />);
    const dot = await screen.findByRole('img', { name: 'Server health: degraded' });
    expect(dot).toHaveClass('health-degraded');
    expect(dot.parentElement).toHaveAttribute('title', 'Server health: degraded (source: error: timeout)');
  });

  it('says why when no worker runs', async () => {
    const noWorker = { count: 0, state: 'none', message: 'no worker is running: downloads will wait' };
    mockFetch({ 'GET /api/health': () => json({ ...healthy, status: 'degraded', workers: 0, worker_status: noWorker }, 503) });
    renderRoute(<HealthDot />);
    const dot = await screen.findByRole('img', { name: 'Server health: degraded' });
    expect(dot.parentElement).toHaveAttribute(
      'title',
      'Server health: degraded (no worker is running: downloads will wait)',
    );
  });

  it('explains a bare 0 from an older server the same way', async () => {
    mockFetch({ 'GET /api/health': () => json({ ...healthy, status: 'degraded', workers: 0 }, 503) });
    renderRoute(<HealthDot />);
    const dot = await screen.findByRole('img', { name: 'Server health: degraded' });
    expect(dot.parentElement?.getAttribute('title')).toContain('no worker is running: downloads will wait');
  });

  it('is red when the server cannot be reached', async () => {
    vi.stubGlobal('fetch', vi.fn(() => Promise.reject(new TypeError('Failed to fetch'))));
    renderRoute(<HealthDot />);
    expect(await screen.findByRole('img', { name: 'Server health: unreachable' })).toHaveClass('health-unreachable');
  });
});
