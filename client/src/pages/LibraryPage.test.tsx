import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';

import type { FollowView } from '../api/library';
import { FollowButton } from '../components/FollowButton';
import { json, mockFetch } from '../test/fetch';
import { renderRoute } from '../test/render';
import { LibraryPage } from './LibraryPage';

const follow: FollowView = {
  id: 'abc123',
  source: 'mangadex',
  series_id: 's1',
  title: 'Night Shift No. 8',
  mode: 'new',
  from_number: null,
  split_tall: null,
  encode: 'webp:80',
  paused: false,
  cover_url: '/api/library/follows/abc123/cover',
  chapters_in_library: 2,
  new_chapters: 1,
  last_check: 1_700_000_000,
  next_check: 1_700_021_600,
  last_error: 'Shift 4: page 2: HTTP 404',
  job: null,
  failures: [
    { chapter_id: 'c4', title: 'Shift 4', number: '4', reason: 'page 2: HTTP 404', attempts: 1, next_try: 1_700_003_600 },
  ],
  latest: [
    {
      chapter_id: 'c3',
      number: '3',
      volume: null,
      title: 'Shift 3',
      file: 'Night Shift No. 8/Night Shift No. 8 Ch. 003.cbz',
      pages: 4,
      size: 1000,
      added_at: 1_700_000_000,
    },
  ],
};

describe('LibraryPage', () => {
  it('shows each follow with its chapters, new chapters, failures and actions', async () => {
    const { calls } = mockFetch({
      'GET /api/library': () => json({ follows: [follow] }),
      'POST /api/library/follows/abc123/check': () => json(follow, 202),
      'POST /api/library/follows/abc123/pause': () => json({ ...follow, paused: true }),
      'DELETE /api/library/follows/abc123': () => new Response(null, { status: 204 }),
    });
    renderRoute(<LibraryPage />);
    const card = await screen.findByRole('article', { name: 'Night Shift No. 8' });
    expect(within(card).getByText('2 chapters')).toBeInTheDocument();
    expect(within(card).getByRole('list', { name: 'New chapters' })).toHaveTextContent('Night Shift No. 8 Ch. 003.cbz');
    expect(within(card).getByRole('list', { name: 'Failed chapters' })).toHaveTextContent('Shift 4: page 2: HTTP 404');

    await userEvent.click(within(card).getByRole('button', { name: 'Check now' }));
    await userEvent.click(within(card).getByRole('button', { name: 'Pause' }));
    await userEvent.click(within(card).getByRole('button', { name: 'Unfollow' }));
    await waitFor(() => expect(calls.filter((c) => c.method !== 'GET')).toHaveLength(3));
    expect(calls.find((c) => c.url.endsWith('/pause'))?.body).toEqual({ paused: true });
  });

  it("shows a follow's page options and saves new ones", async () => {
    const { calls } = mockFetch({
      'GET /api/library': () => json({ follows: [follow] }),
      'POST /api/library/follows/abc123/pages': () => json({ ...follow, encode: 'original' }),
    });
    renderRoute(<LibraryPage />);
    const card = await screen.findByRole('article', { name: 'Night Shift No. 8' });
    expect(within(card).getByText('encoded webp:80')).toBeInTheDocument();
    expect(within(card).queryByRole('button', { name: 'Save page options' })).toBeNull();
    fireEvent.change(within(card).getByRole('combobox', { name: /encode/i }), { target: { value: 'original' } });
    await userEvent.click(within(card).getByRole('button', { name: 'Save page options' }));
    await waitFor(() => expect(calls.some((c) => c.url.endsWith('/pages'))).toBe(true));
    expect(calls.find((c) => c.url.endsWith('/pages'))?.body).toEqual({ split_tall: false, encode: 'original' });
  });

  it('says how to follow when nothing is followed', async () => {
    mockFetch({ 'GET /api/library': () => json({ follows: [] }) });
    renderRoute(<LibraryPage />);
    expect(await screen.findByText(/No followed series yet/)).toBeInTheDocument();
  });
});

/** Open the Follow form of an unfollowed series, fill it with `fill`, submit: the body sent. */
async function followWith(fill: () => Promise<void>): Promise<unknown> {
  const { calls } = mockFetch({
    'GET /api/library/follow': () => json({ follow: null }),
    'POST /api/library/follows': () => json(follow, 201),
  });
  renderRoute(<FollowButton source="mangadex" seriesId="s1" />);
  await userEvent.click(await screen.findByRole('button', { name: 'Follow' }));
  await fill();
  await userEvent.click(screen.getByRole('button', { name: 'Follow' }));
  await waitFor(() => expect(calls.some((c) => c.method === 'POST')).toBe(true));
  return calls.find((c) => c.method === 'POST')?.body;
}

describe('FollowButton', () => {
  it('follows "all chapters from N"', async () => {
    const body = await followWith(async () => {
      await userEvent.click(screen.getByLabelText(/All chapters from/));
      const from = screen.getByRole('spinbutton', { name: 'First chapter number' });
      await userEvent.clear(from);
      await userEvent.type(from, '12');
    });
    expect(body).toEqual({ source: 'mangadex', series_id: 's1', mode: 'from', from_number: 12 });
  });

  it('follows with page options, as a download takes them', async () => {
    const body = await followWith(async () => {
      fireEvent.change(screen.getByRole('combobox', { name: /encode/i }), { target: { value: 'webp:80' } });
      await Promise.resolve();
    });
    expect(body).toEqual({ source: 'mangadex', series_id: 's1', mode: 'new', encode: 'webp:80' });
  });

  it('links to the library once followed', async () => {
    mockFetch({ 'GET /api/library/follow': () => json({ follow }) });
    renderRoute(<FollowButton source="mangadex" seriesId="s1" />);
    expect(await screen.findByRole('link', { name: 'In the library' })).toHaveAttribute('href', '/library');
  });
});
