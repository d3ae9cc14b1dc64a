import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';

import { writeLastPage } from '../hooks/useLastPage';
import { json, mockFetch } from '../test/fetch';
import { makeManga } from '../test/fixtures';
import { renderRoute } from '../test/render';
import { SeriesPage } from './SeriesPage';

const path = '/series/:source/:id';

function checkbox(name: string): HTMLInputElement {
  return screen.getByRole<HTMLInputElement>('checkbox', { name });
}

function checkedNames(): string[] {
  return screen
    .getAllByRole<HTMLInputElement>('checkbox')
    .filter((c) => c.checked)
    .map((c) => c.getAttribute('aria-label') ?? '');
}

describe('SeriesPage', () => {
  it('shows the series and its chapters newest first, with read links', async () => {
    const { calls } = mockFetch({ 'GET /api/manga/mangadex/info': () => json(makeManga()) });
    renderRoute(<SeriesPage />, { path, url: '/series/mangadex/series-1' });

    expect(await screen.findByRole('heading', { level: 1, name: 'Solo Leveling' })).toBeInTheDocument();
    expect(calls[0]?.url).toBe('/api/manga/mangadex/info?id=series-1');
    expect(screen.getByText('A hunter levels up.')).toBeInTheDocument();
    expect(screen.getByText('completed')).toBeInTheDocument();
    expect(within(screen.getByRole('list', { name: 'Genres' })).getAllByRole('listitem')).toHaveLength(2);

    const names = screen.getAllByRole('checkbox').map((c) => c.getAttribute('aria-label'));
    expect(names).toEqual(['Select Chapter 5', 'Select Chapter 4', 'Select Chapter 3', 'Select Chapter 2', 'Select Chapter 1']);
    expect(screen.getByRole('link', { name: 'Read Chapter 3' })).toHaveAttribute('href', '/read/mangadex/series-1/ch-3');

    await userEvent.click(screen.getByRole('button', { name: 'Oldest first' }));
    expect(screen.getByRole('button', { name: 'Oldest first' })).toHaveAttribute('aria-pressed', 'true');
    expect(screen.getAllByRole('checkbox')[0]).toHaveAccessibleName('Select Chapter 1');
  });

  it('says downloads will wait when no worker runs', async () => {
    const noWorker = { count: 0, state: 'none', message: 'no worker is running: downloads will wait' };
    mockFetch({
      'GET /api/manga/mangadex/info': () => json(makeManga()),
      'GET /api/health': () =>
        json({ status: 'degraded', redis: 'ok', workers: 0, worker_status: noWorker, queues: {}, consumet: 'ok' }, 503),
    });
    renderRoute(<SeriesPage />, { path, url: '/series/mangadex/series-1' });
    expect(await screen.findByRole('note')).toHaveTextContent('No worker is running: downloads will wait.');
  });

  it('tells two uploads of one chapter apart and writes dates cleanly', async () => {
    const chapters = [
      { id: 'up-b', title: 'Ch.004 - Bargain', number: '4', volume: '1', pages: 8, released: 'Nov 14,2025' },
      { id: 'up-a', title: 'Bargain', number: '4', volume: '1', pages: 8, released: '2025-11-07T10:00:00Z' },
      { id: 'three', title: 'Ch.003', number: '3', volume: null, pages: 8, released: null },
    ];
    mockFetch({ 'GET /api/manga/mangadex/info': () => json(makeManga({ chapters })) });
    renderRoute(<SeriesPage />, { path, url: '/series/mangadex/series-1' });
    expect(await screen.findByRole('checkbox', { name: 'Select Chapter 4 — Bargain (upload 2 of 2)' })).toBeInTheDocument();
    expect(screen.getByRole('checkbox', { name: 'Select Chapter 4 — Bargain (upload 1 of 2)' })).toBeInTheDocument();
    expect(screen.getByRole('checkbox', { name: 'Select Chapter 3' })).toBeInTheDocument();
    expect(screen.getByText('14 Nov 2025')).toBeInTheDocument();
    expect(screen.getByText('7 Nov 2025')).toBeInTheDocument();
  });

  it('decodes ids with slashes from the route and encodes them in links', async () => {
    const { calls } = mockFetch({
      'GET /api/manga/demo/info': () => json(makeManga({ id: 'a/b c', chapters: [{ id: 'x/1', title: 'Chapter 1', number: '1', volume: null, pages: null, released: null }] })),
    });
    renderRoute(<SeriesPage />, { path, url: `/series/demo/${encodeURIComponent('a/b c')}` });
    await screen.findByRole('heading', { level: 1 });
    expect(calls[0]?.url).toBe('/api/manga/demo/info?id=a%2Fb+c');
    expect(screen.getByRole('link', { name: 'Read Chapter 1' })).toHaveAttribute('href', '/read/demo/a%2Fb%20c/x%2F1');
  });

  it('selects ranges with shift-click, select all and clear', async () => {
    mockFetch({ 'GET /api/manga/mangadex/info': () => json(makeManga()) });
    const user = userEvent.setup();
    renderRoute(<SeriesPage />, { path, url: '/series/mangadex/series-1' });
    await screen.findByRole('heading', { level: 1 });

    expect(screen.getByRole('button', { name: 'Download CBZ' })).toBeDisabled();
    await user.click(checkbox('Select Chapter 5'));
    await user.keyboard('{Shift>}');
    await user.click(checkbox('Select Chapter 2'));
    await user.keyboard('{/Shift}');
    expect(checkedNames()).toEqual(['Select Chapter 5', 'Select Chapter 4', 'Select Chapter 3', 'Select Chapter 2']);
    expect(screen.getByText('4 selected')).toBeInTheDocument();

    // Shift-click on a selected chapter clears the range from the last click.
    fireEvent.click(checkbox('Select Chapter 4'), { shiftKey: true });
    expect(checkedNames()).toEqual(['Select Chapter 5']);

    await user.click(screen.getByRole('button', { name: 'Select all' }));
    expect(checkedNames()).toHaveLength(5);
    await user.click(screen.getByRole('button', { name: 'Clear' }));
    expect(checkedNames()).toEqual([]);
  });

  it('downloads the selection oldest first and links to the downloads page', async () => {
    const { calls } = mockFetch({
      'GET /api/manga/mangadex/info': () => json(makeManga()),
      'POST /api/download': () =>
        json({ task_id: 't1', celery_task_id: 'c1', status: 'PENDING', message: 'queued', deduplicated: false }, 202),
    });
    const user = userEvent.setup();
    renderRoute(<SeriesPage />, { path, url: '/series/mangadex/series-1' });
    await screen.findByRole('heading', { level: 1 });

    await user.click(checkbox('Select Chapter 4'));
    await user.click(checkbox('Select Chapter 2'));
    await user.click(screen.getByRole('button', { name: 'Download ZIP' }));

    await waitFor(() => expect(calls.some((c) => c.method === 'POST')).toBe(true));
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({
      source: 'mangadex',
      ids: ['ch-2', 'ch-4'],
      format: 'zip',
      title: 'Solo Leveling',
      series_id: 'series-1',
    });
    const toast = await screen.findByText(/Download queued \(2 chapters, ZIP\)/);
    await user.click(within(toast).getByRole('link', { name: 'See progress' }));
    expect(screen.getByTestId('location')).toHaveTextContent('/downloads');
  });

  it('shows a refused download', async () => {
    mockFetch({
      'GET /api/manga/mangadex/info': () => json(makeManga()),
      'POST /api/download': () => json({ detail: [{ loc: ['body', 'ids', 0], msg: 'bad chapter id' }] }, 422),
    });
    const user = userEvent.setup();
    renderRoute(<SeriesPage />, { path, url: '/series/mangadex/series-1' });
    await user.click(await screen.findByRole('checkbox', { name: 'Select Chapter 1' }));
    await user.click(screen.getByRole('button', { name: 'Download CBZ' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Download not started: ids.0: bad chapter id');
  });

  it('shows how far each chapter was read', async () => {
    writeLastPage(localStorage, 'mangadex', 'ch-2', 6, 10);
    mockFetch({ 'GET /api/manga/mangadex/info': () => json(makeManga()) });
    renderRoute(<SeriesPage />, { path, url: '/series/mangadex/series-1' });
    expect(await screen.findByText('read to page 7')).toBeInTheDocument();
  });

  it('shows an error with a retry', async () => {
    mockFetch({ 'GET /api/manga/mangadex/info': () => json({ detail: 'Source failed' }, 502) });
    renderRoute(<SeriesPage />, { path, url: '/series/mangadex/series-1' });
    expect(await screen.findByRole('alert')).toHaveTextContent('Could not load the series: Source failed');
    expect(screen.getByRole('button', { name: 'Try again' })).toBeInTheDocument();
  });
});
