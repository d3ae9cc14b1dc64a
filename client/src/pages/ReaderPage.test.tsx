import { fireEvent, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';

import { readLastPage, writeLastPage } from '../hooks/useLastPage';
import { READER_MODE_KEY } from '../hooks/useReaderMode';
import { json, mockFetch } from '../test/fetch';
import { makeManga } from '../test/fixtures';
import { renderRoute } from '../test/render';
import { ReaderPage, chapterNeighbours } from './ReaderPage';

const path = '/read/:source/:seriesId/:chapterId';

function pages(n: number) {
  return { source: 'mangadex', chapter_id: 'ch-3', pages: Array.from({ length: n }, (_, i) => ({ index: i, url: `/api/image/p${i}` })) };
}

function mockChapter(n = 6) {
  return mockFetch({
    'GET /api/manga/mangadex/read': () => json(pages(n)),
    'GET /api/manga/mangadex/info': () => json(makeManga()),
  });
}

async function openReader(chapter = 'ch-3') {
  renderRoute(<ReaderPage />, { path, url: `/read/mangadex/series-1/${chapter}` });
  await screen.findByRole('img', { name: 'Page 1' });
}

describe('chapterNeighbours', () => {
  it('finds the previous (older) and next (newer) chapters in a newest-first list', () => {
    const chapters = makeManga().chapters; // ch-5 … ch-1
    expect(chapterNeighbours(chapters, 'ch-3')).toMatchObject({ previous: { id: 'ch-2' }, next: { id: 'ch-4' } });
    expect(chapterNeighbours(chapters, 'ch-5').next).toBeNull();
    expect(chapterNeighbours(chapters, 'ch-1').previous).toBeNull();
    expect(chapterNeighbours(chapters, 'nope').current).toBeNull();
  });
});

describe('ReaderPage', () => {
  it('shows every page as a long strip with lazy images and the page counter', async () => {
    const { calls } = mockChapter();
    await openReader();
    expect(calls.map((c) => c.url)).toContain('/api/manga/mangadex/read?chapterId=ch-3');
    const images = screen.getAllByRole('img', { name: /^Page \d+$/ });
    expect(images).toHaveLength(6);
    expect(images[0]).toHaveAttribute('src', '/api/image/p0');
    // The current page, and the next ones, load eagerly; the rest lazily.
    expect(images.map((i) => i.getAttribute('loading'))).toEqual(['eager', 'eager', 'eager', 'eager', 'lazy', 'lazy']);
    expect(screen.getByText('Page 1 / 6')).toBeInTheDocument();
    expect(screen.getByRole('progressbar', { name: 'Reading progress' })).toHaveAttribute('aria-valuetext', 'Page 1 of 6');
    expect(screen.getByRole('button', { name: 'Long strip' })).toHaveAttribute('aria-pressed', 'true');
  });

  it('links the previous and next chapters from the series list', async () => {
    mockChapter();
    await openReader();
    expect(await screen.findByRole('link', { name: 'Next chapter' })).toHaveAttribute('href', '/read/mangadex/series-1/ch-4');
    expect(screen.getByRole('link', { name: 'Previous chapter' })).toHaveAttribute('href', '/read/mangadex/series-1/ch-2');
    expect(screen.getByRole('heading', { level: 1, name: 'Chapter 3' })).toBeInTheDocument();
  });

  it('disables the next chapter at the newest one', async () => {
    mockFetch({
      'GET /api/manga/mangadex/read': () => json(pages(2)),
      'GET /api/manga/mangadex/info': () => json(makeManga()),
    });
    await openReader('ch-5');
    expect(await screen.findByRole('button', { name: 'Next chapter' })).toBeDisabled();
  });

  it('moves between pages with the keyboard and remembers the page', async () => {
    const scrollTo = vi.spyOn(window, 'scrollTo');
    mockChapter();
    await openReader();
    fireEvent.keyDown(window, { key: 'j' });
    fireEvent.keyDown(window, { key: 'ArrowRight' });
    expect(screen.getByText('Page 3 / 6')).toBeInTheDocument();
    fireEvent.keyDown(window, { key: 'k' });
    expect(screen.getByText('Page 2 / 6')).toBeInTheDocument();
    fireEvent.keyDown(window, { key: 'ArrowLeft' });
    fireEvent.keyDown(window, { key: 'ArrowLeft' });
    expect(screen.getByText('Page 1 / 6')).toBeInTheDocument();
    fireEvent.keyDown(window, { key: 'j' });
    await waitFor(() => expect(readLastPage(localStorage, 'mangadex', 'ch-3')?.page).toBe(1));
    expect(scrollTo).toHaveBeenCalled();
  });

  it('resumes at the last page read and can start over', async () => {
    writeLastPage(localStorage, 'mangadex', 'ch-3', 4, 6);
    mockChapter();
    await openReader();
    expect(screen.getByText('Page 5 / 6')).toBeInTheDocument();
    expect(screen.getByRole('status')).toHaveTextContent('Resumed at page 5.');
    await userEvent.click(screen.getByRole('button', { name: 'Start from page 1' }));
    expect(screen.getByText('Page 1 / 6')).toBeInTheDocument();
  });

  it('switches to paged mode, remembers it, and pages with space and buttons', async () => {
    mockChapter(3);
    const user = userEvent.setup();
    await openReader();
    await user.click(screen.getByRole('button', { name: 'Paged' }));
    expect(localStorage.getItem(READER_MODE_KEY)).toBe('paged');
    expect(screen.getAllByRole('img', { name: /^Page/ })).toHaveLength(1);

    fireEvent.keyDown(window, { key: ' ' });
    expect(screen.getByRole('img', { name: 'Page 2' })).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Next page' }));
    expect(screen.getByRole('img', { name: 'Page 3' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Next page' })).toBeDisabled();
    await user.click(screen.getByRole('button', { name: 'Previous page' }));
    expect(screen.getByText('Page 2 / 3')).toBeInTheDocument();
  });

  it('opens in the remembered mode', async () => {
    localStorage.setItem(READER_MODE_KEY, 'paged');
    mockChapter();
    await openReader();
    expect(screen.getByRole('button', { name: 'Paged' })).toHaveAttribute('aria-pressed', 'true');
    expect(screen.getByRole('button', { name: 'Next page' })).toBeInTheDocument();
  });

  it('offers a retry for a page that failed to load', async () => {
    mockChapter(2);
    const user = userEvent.setup();
    await openReader();
    fireEvent.error(screen.getByRole('img', { name: 'Page 2' }));
    expect(screen.getByRole('alert')).toHaveTextContent('Page 2 failed to load.');
    await user.click(screen.getByRole('button', { name: 'Retry page 2' }));
    expect(screen.getByRole('img', { name: 'Page 2' })).toBeInTheDocument();
  });

  it('shows an error when the chapter cannot be read', async () => {
    mockFetch({
      'GET /api/manga/mangadex/read': () => json({ detail: 'Chapter has no pages' }, 502),
      'GET /api/manga/mangadex/info': () => json(makeManga()),
    });
    renderRoute(<ReaderPage />, { path, url: '/read/mangadex/series-1/ch-3' });
    expect(await screen.findByRole('alert')).toHaveTextContent('Could not load the chapter: Chapter has no pages');
    expect(screen.getByRole('link', { name: 'Back to series' })).toHaveAttribute('href', '/series/mangadex/series-1');
  });
});
