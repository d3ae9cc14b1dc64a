import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';

import { json, mockFetch } from '../test/fetch';
import { makeChapters, makeManga } from '../test/fixtures';
import { renderRoute } from '../test/render';
import { SeriesPage } from './SeriesPage';

describe('SeriesPage with an external chapter', () => {
  it('lists it as external and leaves it out of Select all and the download', async () => {
    const chapters = makeChapters(2).map((c) => (c.id === 'ch-1' ? { ...c, pages: 0 } : c));
    const { calls } = mockFetch({
      'GET /api/manga/mangadex/info': () => json(makeManga({ chapters })),
      'POST /api/download': () =>
        json({ task_id: 't1', celery_task_id: 'c1', status: 'PENDING', message: 'queued', deduplicated: false }, 202),
    });
    const user = userEvent.setup();
    renderRoute(<SeriesPage />, { path: '/series/:source/:id', url: '/series/mangadex/series-1' });
    await screen.findByRole('heading', { level: 1 });

    expect(screen.getByText('external — read at the publisher')).toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'Read Chapter 1' })).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Select all' }));
    expect(screen.getByText('1 selected')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Download CBZ' }));
    await screen.findByRole('status');
    expect(calls.find((c) => c.method === 'POST')?.body).toMatchObject({ ids: ['ch-2'] });
  });
});
