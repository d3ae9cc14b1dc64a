import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';

import { FakeEventSource } from '../test/eventSource';
import { json, mockFetch } from '../test/fetch';
import { makeJob } from '../test/fixtures';
import { renderRoute } from '../test/render';
import { DownloadsPage } from './DownloadsPage';

const now = Date.now() / 1000;

const jobs = [
  makeJob({ task_id: 'run', title: 'Running Series', state: 'PROGRESS', progress: 42, done_chapters: 1, total_chapters: 3, updated_at: now }),
  makeJob({
    task_id: 'ok',
    title: 'Done Series',
    state: 'SUCCESS',
    progress: 100,
    file_name: 'Done Series - Ch. 001-003.zip',
    size: 5 * 1024 * 1024,
    download_url: '/api/download/file/ok',
    expires_at: now + 600,
    failed: [{ chapter_id: 'c9', title: 'Chapter 9', reason: 'page 3: HTTP 404' }],
  }),
  makeJob({
    task_id: 'bad',
    title: 'Failed Series',
    state: 'FAILURE',
    progress: 0,
    error: 'No chapter could be downloaded',
    failed: [{ chapter_id: 'c1', title: 'Chapter 1', reason: 'no pages (chapter is empty, external or blocked at the source)' }],
  }),
  makeJob({ task_id: 'old', title: 'Expired Series', state: 'EXPIRED', progress: 100, file_name: 'old.cbz', download_url: null }),
];

function card(title: string): HTMLElement {
  return screen.getByRole('article', { name: title });
}

describe('DownloadsPage', () => {
  beforeEach(() => {
    FakeEventSource.install();
  });

  it('renders every job with its state, progress and actions', async () => {
    mockFetch({ 'GET /api/downloads': () => json({ jobs }) });
    renderRoute(<DownloadsPage />);

    const running = await screen.findByRole('progressbar', { name: 'Running Series' });
    expect(running).toHaveAttribute('aria-valuenow', '42');
    expect(within(card('Running Series')).getByText('Downloading')).toBeInTheDocument();
    expect(within(card('Running Series')).getByRole('button', { name: 'Cancel' })).toBeEnabled();
    expect(within(card('Running Series')).queryByRole('link', { name: /^Download/ })).toBeNull();

    const done = card('Done Series');
    expect(within(done).getByText('Partial')).toBeInTheDocument(); // one chapter failed
    expect(done).toHaveClass('job-partial');
    const link = within(done).getByRole('link', { name: 'Download Done Series - Ch. 001-003.zip' });
    expect(link).toHaveAttribute('href', '/api/download/file/ok');
    expect(link).toHaveAttribute('download', 'Done Series - Ch. 001-003.zip');
    expect(within(done).getByText('5.0 MB')).toBeInTheDocument();
    expect(within(done).getByText(/Page 3: missing on the image server \(HTTP 404\)/)).toBeInTheDocument();
    expect(within(done).getByRole('button', { name: 'Retry' })).toBeInTheDocument();
    expect(within(done).queryByRole('button', { name: 'Cancel' })).toBeNull();
    expect(screen.getByRole('progressbar', { name: 'Done Series' })).toHaveAttribute('aria-valuenow', '100');

    const failed = card('Failed Series');
    expect(within(failed).getByText('Failed')).toBeInTheDocument();
    expect(within(failed).getByText('No chapter could be downloaded')).toBeInTheDocument();
    expect(within(failed).getByRole('list', { name: 'Failed chapters of Failed Series' })).toHaveTextContent(
      'Chapter 1: This chapter has no pages on this source: it is probably on the publisher’s site.',
    );
    expect(within(failed).getByRole('button', { name: 'Retry' })).toBeInTheDocument();

    const expired = card('Expired Series');
    expect(expired).toHaveClass('job-expired');
    expect(within(expired).getByText('Expired')).toBeInTheDocument();
    expect(within(expired).queryByRole('link')).toBeNull();
    expect(within(expired).queryByRole('button')).toBeNull();

    // One stream, for the active job only.
    expect(FakeEventSource.instances.map((s) => s.url)).toEqual(['/api/downloads/events?ids=run']);
  });

  it('moves the progress bar with SSE events and shows the link on success', async () => {
    mockFetch({ 'GET /api/downloads': () => json({ jobs: [jobs[0]] }) });
    renderRoute(<DownloadsPage />);
    const bar = await screen.findByRole('progressbar', { name: 'Running Series' });

    act(() => FakeEventSource.list()?.emit('progress', { ...jobs[0], progress: 80, updated_at: now + 1 }));
    expect(bar).toHaveAttribute('aria-valuenow', '80');

    act(() =>
      FakeEventSource.list()?.emit('progress', {
        ...jobs[0],
        state: 'SUCCESS',
        progress: 100,
        updated_at: now + 2,
        file_name: 'Running.cbz',
        size: 2048,
        download_url: '/api/download/file/run',
      }),
    );
    expect(await screen.findByRole('link', { name: 'Download Running.cbz' })).toHaveAttribute('href', '/api/download/file/run');
    expect(screen.getByText('2.0 KB')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Cancel' })).toBeNull();
  });

  it('polls the list every 1.5 s once the stream has failed for good', async () => {
    const { calls } = mockFetch({ 'GET /api/downloads': () => json({ jobs: [jobs[0]] }) });
    renderRoute(<DownloadsPage />);
    await screen.findByRole('progressbar', { name: 'Running Series' });
    act(() => FakeEventSource.list()?.fail());
    await waitFor(() => expect(calls.filter((c) => c.url.startsWith('/api/downloads')).length).toBeGreaterThanOrEqual(3), {
      timeout: 5000,
    });
    expect(FakeEventSource.list()).toBeUndefined();
  });

  it('cancels an active job and retries a failed one', async () => {
    const { calls } = mockFetch({
      'GET /api/downloads': () => json({ jobs: [jobs[0], jobs[2]] }),
      'DELETE /api/download/run': () => json({ ...jobs[0], state: 'CANCELLED', updated_at: now + 5 }),
      'POST /api/download/bad/retry': () =>
        json({ task_id: 'new', celery_task_id: 'x', status: 'PENDING', message: 'queued', deduplicated: false }, 202),
    });
    const user = userEvent.setup();
    renderRoute(<DownloadsPage />);

    await user.click(await within(await screen.findByRole('article', { name: 'Running Series' })).findByRole('button', { name: 'Cancel' }));
    await user.click(within(card('Failed Series')).getByRole('button', { name: 'Retry' }));

    await waitFor(() => {
      expect(calls.some((c) => c.method === 'DELETE' && c.url === '/api/download/run')).toBe(true);
      expect(calls.some((c) => c.method === 'POST' && c.url === '/api/download/bad/retry')).toBe(true);
    });
    expect(await screen.findByText('Retry queued for the failed chapters.')).toBeInTheDocument();
  });

  it('offers Retry on a cancelled job and says what an equal retry already did', async () => {
    const cancelled = makeJob({ task_id: 'cxl', title: 'Cancelled Series', state: 'CANCELLED', updated_at: now });
    mockFetch({
      'GET /api/downloads': () => json({ jobs: [cancelled] }),
      'POST /api/download/cxl/retry': () =>
        json({ task_id: 'old', celery_task_id: 'x', status: 'SUCCESS', message: 'equal job', deduplicated: true }, 202),
    });
    const user = userEvent.setup();
    renderRoute(<DownloadsPage />);
    await user.click(await within(await screen.findByRole('article', { name: 'Cancelled Series' })).findByRole('button', { name: 'Retry' }));
    expect(await screen.findByRole('status')).toHaveTextContent('These chapters were already retried: the file is in the list.');
    expect(screen.queryByText('A retry is already queued.')).toBeNull();
  });

  it('says a file expired instead of starting a download that fails silently', async () => {
    const stale = makeJob({
      task_id: 'stale',
      title: 'Stale Series',
      state: 'SUCCESS',
      file_name: 'Stale.cbz',
      download_url: '/api/download/file/stale',
      expires_at: Date.now() / 1000 - 5,
      updated_at: now,
    });
    mockFetch({ 'GET /api/downloads': () => json({ jobs: [stale] }) });
    const user = userEvent.setup();
    renderRoute(<DownloadsPage />);
    await user.click(await screen.findByRole('link', { name: 'Download Stale.cbz' }));
    expect(screen.getByRole('alert')).toHaveTextContent('it expired. Download the chapters again.');
    expect(screen.queryByRole('link', { name: 'Download Stale.cbz' })).toBeNull();
  });

  it('shows a library job as in the library, with a link there, never as expired', async () => {
    const library = { destination: 'library' as const, progress: 100, download_url: null, updated_at: now };
    const added = makeJob({
      ...library,
      task_id: 'lib',
      title: 'Night Shift',
      state: 'SUCCESS',
      status: 'Done: 1 of 1 chapters added to the library',
    });
    // A record an older server's sweep marked EXPIRED: its chapters are still in the library.
    const swept = makeJob({
      ...library,
      task_id: 'lib-old',
      title: 'Old Shift',
      state: 'EXPIRED',
      status: 'Expired: file deleted',
    });
    mockFetch({ 'GET /api/downloads': () => json({ jobs: [added, swept] }) });
    renderRoute(<DownloadsPage />);
    const expected: [string, string][] = [
      ['Night Shift', 'Done: 1 of 1 chapters added to the library'],
      ['Old Shift', 'Chapters added to the library'],
    ];
    for (const [title, status] of expected) {
      const item = await screen.findByRole('article', { name: title });
      expect(item).toHaveClass('job-library');
      expect(within(item).getByText('In library')).toBeInTheDocument();
      expect(within(item).getByText(status)).toBeInTheDocument();
      expect(within(item).getByRole('link', { name: 'Open the Library' })).toHaveAttribute('href', '/library');
      expect(within(item).queryByText(/Expired|removed from the server/)).toBeNull();
      expect(within(item).queryByRole('link', { name: /^Download/ })).toBeNull();
    }
  });

  it('isolates titles and file names written right to left', async () => {
    const bidi = makeJob({ task_id: 'rtl', title: 'Evil \u202Egpj.exe', state: 'PENDING', updated_at: now });
    mockFetch({ 'GET /api/downloads': () => json({ jobs: [bidi] }) });
    renderRoute(<DownloadsPage />);
    const heading = await screen.findByRole('heading', { level: 2 });
    expect(heading.querySelector('bdi')).toHaveTextContent('Evil \u202Egpj.exe');
  });

  it('says "just now" for a job stamped a moment ahead of our clock', async () => {
    const early = makeJob({ task_id: 'early', title: 'Early', state: 'PENDING', created_at: Date.now() / 1000 + 3, updated_at: now });
    mockFetch({ 'GET /api/downloads': () => json({ jobs: [early] }) });
    renderRoute(<DownloadsPage />);
    expect(await within(await screen.findByRole('article', { name: 'Early' })).findByText('just now')).toBeInTheDocument();
  });

  it('keeps the page total when a chapter fails', async () => {
    const running = makeJob({ task_id: 'pg', title: 'Pages', state: 'PROGRESS', pages_total: 24, pages_done: 10, updated_at: now });
    mockFetch({ 'GET /api/downloads': () => json({ jobs: [running] }) });
    renderRoute(<DownloadsPage />);
    const article = await screen.findByRole('article', { name: 'Pages' });
    expect(article).toHaveTextContent('10/24 pages');
    act(() => FakeEventSource.list()?.emit('progress', { ...running, pages_total: 16, pages_done: 12, updated_at: now + 1 }));
    expect(article).toHaveTextContent('12/24 pages');
  });

  it('shows a conflict answer of retry as an error', async () => {
    mockFetch({
      'GET /api/downloads': () => json({ jobs: [jobs[2]] }),
      'POST /api/download/bad/retry': () => json({ detail: 'Nothing to retry' }, 409),
    });
    const user = userEvent.setup();
    renderRoute(<DownloadsPage />);
    await user.click(await screen.findByRole('button', { name: 'Retry' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Retry failed: Nothing to retry');
  });

  it('shows empty, loading and error states', async () => {
    mockFetch({ 'GET /api/downloads': () => json({ jobs: [] }) });
    const { unmount } = renderRoute(<DownloadsPage />);
    expect(screen.getByRole('status')).toHaveTextContent('Loading downloads…');
    expect(await screen.findByText(/No downloads yet/)).toBeInTheDocument();
    unmount();

    mockFetch({ 'GET /api/downloads': () => json({ detail: 'Redis is down' }, 503) });
    renderRoute(<DownloadsPage />);
    expect(await screen.findByRole('alert')).toHaveTextContent('Redis is down');
  });
});
