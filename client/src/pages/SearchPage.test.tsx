import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';

import type { Call } from '../test/fetch';
import { json, mockFetch } from '../test/fetch';
import { renderRoute } from '../test/render';
import { SearchPage } from './SearchPage';

const sources = {
  sources: [
    { index: 0, name: 'mangadex', title: 'MangaDex', ids_in_path: true },
    { index: 1, name: 'demo', title: 'Demo', ids_in_path: false },
  ],
  default: 'mangadex',
};

function result(id: string, title: string) {
  return { id, title, image: null, cover: `/api/image/${id}`, description: null, status: 'ongoing', alt_titles: [] };
}

function searchAnswer(call: Call) {
  const params = new URL(call.url, 'http://x').searchParams;
  const page = Number(params.get('page') ?? '1');
  const q = params.get('q') ?? '';
  if (q === 'nothing') return json({ source: 'mangadex', query: q, page, has_next_page: false, results: [] });
  return json({
    source: params.get('source') ?? 'mangadex',
    query: q,
    page,
    has_next_page: page < 2,
    results: [result(`s${page}a`, `Solo ${page}A`), result(`s${page}b`, `Solo ${page}B`)],
  });
}

describe('SearchPage', () => {
  it('searches the default source and pages through results', async () => {
    const { calls } = mockFetch({ 'GET /api/sources': () => json(sources), 'GET /api/search': searchAnswer });
    const user = userEvent.setup();
    renderRoute(<SearchPage />);

    expect(screen.getByText('Type a title and press Search.')).toBeInTheDocument();
    expect(await screen.findByRole('option', { name: 'MangaDex' })).toBeInTheDocument();
    expect(screen.getByRole('combobox', { name: 'Source' })).toHaveValue('mangadex');

    await user.type(screen.getByRole('searchbox', { name: 'Search' }), 'solo');
    await user.click(screen.getByRole('button', { name: 'Search' }));

    const link = await screen.findByRole('link', { name: 'Solo 1A' });
    expect(link).toHaveAttribute('href', '/series/mangadex/s1a');
    expect(calls.filter((c) => c.url.startsWith('/api/search')).map((c) => c.url)).toEqual([
      '/api/search?q=solo&source=mangadex&page=1',
    ]);
    expect(screen.getByTestId('location')).toHaveTextContent('/?q=solo&source=mangadex');
    expect(screen.getByRole('button', { name: 'Previous page' })).toBeDisabled();

    await user.click(screen.getByRole('button', { name: 'Next page' }));
    expect(await screen.findByRole('link', { name: 'Solo 2A' })).toBeInTheDocument();
    expect(screen.getByText('Page 2')).toBeInTheDocument();
    await waitFor(() => expect(screen.getByRole('button', { name: 'Next page' })).toBeDisabled());
    expect(screen.getByRole('button', { name: 'Previous page' })).toBeEnabled();
  });

  it('searches another source when picked', async () => {
    const { calls } = mockFetch({ 'GET /api/sources': () => json(sources), 'GET /api/search': searchAnswer });
    const user = userEvent.setup();
    renderRoute(<SearchPage />, { url: '/?q=solo' });
    await screen.findByRole('link', { name: 'Solo 1A' });
    await user.selectOptions(screen.getByRole('combobox', { name: 'Source' }), 'demo');
    await waitFor(() => expect(calls.map((c) => c.url)).toContain('/api/search?q=solo&source=demo&page=1'));
    expect(await screen.findByRole('link', { name: 'Solo 1A' })).toHaveAttribute('href', '/series/demo/s1a');
  });

  it('says so when nothing is found', async () => {
    mockFetch({ 'GET /api/sources': () => json(sources), 'GET /api/search': searchAnswer });
    renderRoute(<SearchPage />, { url: '/?q=nothing&source=mangadex' });
    expect(await screen.findByText('nothing')).toBeInTheDocument();
    expect(document.querySelector('.state-empty')).toHaveTextContent('No results for “nothing”.');
  });

  it('limits the query to what the API accepts', () => {
    mockFetch({ 'GET /api/sources': () => json(sources), 'GET /api/search': searchAnswer });
    renderRoute(<SearchPage />);
    expect(screen.getByRole('searchbox', { name: 'Search' })).toHaveAttribute('maxLength', '200');
  });

  it('says a source in the URL is unknown instead of showing another one', async () => {
    mockFetch({ 'GET /api/sources': () => json(sources), 'GET /api/search': searchAnswer });
    renderRoute(<SearchPage />, { url: '/?q=solo&source=nope' });
    expect(await screen.findByText('nope')).toBeInTheDocument();
    expect(document.querySelector('.state-empty')).toHaveTextContent('There is no source called “nope” here');
    expect(screen.getByRole('combobox', { name: 'Source' })).toHaveValue('nope');
    expect(screen.getByRole('option', { name: 'Unknown source' })).toBeDisabled();
  });

  it('shows loading, then a search error with a retry', async () => {
    mockFetch({
      'GET /api/sources': () => json(sources),
      'GET /api/search': () => new Response('upstream timeout', { status: 504 }),
    });
    renderRoute(<SearchPage />, { url: '/?q=solo&source=mangadex' });
    expect(screen.getByRole('status')).toHaveTextContent('Searching…');
    expect(await screen.findByRole('alert')).toHaveTextContent('Gateway timeout: the manga source did not answer (HTTP 504)');
    expect(screen.getByRole('button', { name: 'Try again' })).toBeInTheDocument();
  });
});
