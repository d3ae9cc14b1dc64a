import { act, fireEvent, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';

import { readLastPage, writeLastPage } from '../hooks/useLastPage';
import { PAGE_FIT_KEY, READER_MODE_KEY } from '../hooks/useReaderMode';
import { json, mockFetch } from '../test/fetch';
import { PAGE_TIMEOUT_MS } from '../reader/usePageLoad';
import { makeChapters, makeManga } from '../test/fixtures';
import { renderRoute } from '../test/render';
import { ReaderPage } from './ReaderPage';

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
    // The last page leads on to the next chapter.
    expect(screen.queryByRole('button', { name: 'Next page' })).not.toBeInTheDocument();
    expect(await screen.findByRole('link', { name: 'Read next: Chapter 4' })).toHaveAttribute(
      'href',
      '/read/mangadex/series-1/ch-4',
    );
    await user.click(screen.getByRole('button', { name: 'Previous page' }));
    expect(screen.getByText('Page 2 / 3')).toBeInTheDocument();
  });

  it('goes on to the next chapter with → on the last page', async () => {
    localStorage.setItem(READER_MODE_KEY, 'paged');
    mockChapter(2);
    await openReader();
    await screen.findByRole('link', { name: 'Next chapter' });
    fireEvent.keyDown(window, { key: 'ArrowRight' });
    expect(screen.getByText('Page 2 / 2')).toBeInTheDocument();
    fireEvent.keyDown(window, { key: 'ArrowRight' });
    expect(screen.getByTestId('location')).toHaveTextContent('/read/mangadex/series-1/ch-4');
  });

  it('stays on the last page of the newest chapter', async () => {
    localStorage.setItem(READER_MODE_KEY, 'paged');
    mockFetch({
      'GET /api/manga/mangadex/read': () => json(pages(2)),
      'GET /api/manga/mangadex/info': () => json(makeManga()),
    });
    await openReader('ch-5');
    expect(await screen.findByRole('button', { name: 'Next chapter' })).toBeDisabled();
    fireEvent.keyDown(window, { key: 'ArrowRight' });
    fireEvent.keyDown(window, { key: 'ArrowRight' });
    expect(screen.getByText('Page 2 / 2')).toBeInTheDocument();
    expect(screen.getByTestId('location')).toHaveTextContent('/read/mangadex/series-1/ch-5');
    expect(screen.getByRole('button', { name: 'Next page' })).toBeDisabled();
  });

  it('says a paged page is loading until it arrives', async () => {
    localStorage.setItem(READER_MODE_KEY, 'paged');
    mockChapter(2);
    await openReader();
    expect(screen.getByText('Loading page 1…')).toBeInTheDocument();
    fireEvent.load(screen.getByRole('img', { name: 'Page 1' }));
    expect(screen.queryByText('Loading page 1…')).not.toBeInTheDocument();
  });

  it('fits a paged page to the window height or width, remembered', async () => {
    localStorage.setItem(READER_MODE_KEY, 'paged');
    mockChapter(2);
    const user = userEvent.setup();
    const { container } = renderRoute(<ReaderPage />, { path, url: '/read/mangadex/series-1/ch-3' });
    await screen.findByRole('img', { name: 'Page 1' });
    expect(screen.getByRole('button', { name: 'Fit height' })).toHaveAttribute('aria-pressed', 'true');
    expect(container.querySelector('.paged')).toHaveClass('fit-height');
    await user.click(screen.getByRole('button', { name: 'Fit width' }));
    expect(container.querySelector('.paged')).toHaveClass('fit-width');
    expect(localStorage.getItem(PAGE_FIT_KEY)).toBe('width');
  });

  it('offers no fit choice in the long strip', async () => {
    mockChapter(2);
    await openReader();
    expect(screen.queryByRole('group', { name: 'Page fit' })).not.toBeInTheDocument();
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
    expect(screen.getByRole('img', { name: 'Page 2' })).toHaveAttribute('src', '/api/image/p1?retry=1');
  });

  it('stops waiting for a page that never arrives and retries it', async () => {
    localStorage.setItem(READER_MODE_KEY, 'paged');
    mockChapter(2);
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      await openReader();
      act(() => {
      vi.advanceTimersByTime(PAGE_TIMEOUT_MS);
    });
      expect(screen.getByRole('alert')).toHaveTextContent('Page 1 is taking too long to load.');
      expect(screen.queryByRole('img', { name: 'Page 1' })).not.toBeInTheDocument();
      fireEvent.click(screen.getByRole('button', { name: 'Retry page 1' }));
      expect(screen.getByText('Page 1 / 2')).toBeInTheDocument(); // the click did not turn the page
      fireEvent.load(screen.getByRole('img', { name: 'Page 1' }));
      act(() => {
      vi.advanceTimersByTime(PAGE_TIMEOUT_MS);
    });
      expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    } finally {
      vi.useRealTimers();
    }
  });

  it('takes the end of the strip in view as the last page, saved for the next visit', async () => {
    mockChapter(6);
    await openReader();
    // jsdom lays nothing out: place the last page's end below, then inside, the window.
    let lastBottom = window.innerHeight + 500;
    const sections = document.querySelectorAll<HTMLElement>('.strip-page');
    const last = sections[sections.length - 1];
    if (!last) throw new Error('no strip');
    vi.spyOn(last, 'getBoundingClientRect').mockImplementation(() => new DOMRect(0, lastBottom - 1000, 800, 1000));
    fireEvent.scroll(window);
    await new Promise((resolve) => requestAnimationFrame(resolve));
    expect(screen.getByText('Page 1 / 6')).toBeInTheDocument();
    lastBottom = window.innerHeight - 100;
    fireEvent.scroll(window);
    expect(await screen.findByText('Page 6 / 6')).toBeInTheDocument();
    await waitFor(() => expect(readLastPage(localStorage, 'mangadex', 'ch-3')?.page).toBe(5));
  });

  it('resumes at the last page', async () => {
    writeLastPage(localStorage, 'mangadex', 'ch-3', 5, 6);
    mockChapter(6);
    await openReader();
    expect(screen.getByText('Page 6 / 6')).toBeInTheDocument();
    expect(screen.getByRole('status')).toHaveTextContent('Resumed at page 6.');
  });

  it('reads one of two uploads of a chapter number when going straight through', async () => {
    const chapters = makeChapters(5);
    const alt = { ...chapters[1], id: 'ch-4-alt', title: 'Chapter 4 (other group)', number: '4' };
    const withTwin = [...chapters.slice(0, 2), alt as (typeof chapters)[number], ...chapters.slice(2)];
    mockFetch({
      'GET /api/manga/mangadex/read': () => json(pages(2)),
      'GET /api/manga/mangadex/info': () => json(makeManga({ chapters: withTwin })),
    });
    await openReader('ch-4-alt');
    expect(await screen.findByRole('link', { name: 'Next chapter' })).toHaveAttribute('href', '/read/mangadex/series-1/ch-5');
    expect(screen.getByRole('link', { name: 'Previous chapter' })).toHaveAttribute('href', '/read/mangadex/series-1/ch-3');
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
