import { describe, expect, it, vi } from 'vitest';

import { mockFetch, json } from '../test/fetch';
import { ApiError, apiUrl, detailMessage, errorFromResponse, onUnauthorized, request } from './client';
import { fetchHealth } from './health';

describe('errorFromResponse', () => {
  it('uses a string detail as the message', () => {
    const error = errorFromResponse(404, JSON.stringify({ detail: 'Unknown job abc' }));
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(404);
    expect(error.message).toBe('Unknown job abc');
    expect(error.detail).toBe('Unknown job abc');
  });

  it('joins a list of pydantic errors with their field, without the body/query prefix', () => {
    const detail = [
      { type: 'missing', loc: ['query', 'q'], msg: 'Field required', input: null },
      { type: 'value_error', loc: ['body', 'ids', 2], msg: 'Value error, bad chapter id "../x"' },
    ];
    const error = errorFromResponse(422, JSON.stringify({ detail }));
    expect(error.status).toBe(422);
    expect(error.message).toBe('q: Field required; ids.2: Value error, bad chapter id "../x"');
    expect(error.detail).toEqual(detail);
  });

  it('falls back to a generic message for a non-JSON 502 page', () => {
    const error = errorFromResponse(502, '<html><body>Bad Gateway</body></html>');
    expect(error.status).toBe(502);
    expect(error.message).toBe('Bad gateway: the manga source failed (HTTP 502)');
    expect(error.detail).toBeUndefined();
  });

  it('falls back to a generic message for JSON without a usable detail', () => {
    expect(errorFromResponse(500, '{"error": "boom"}').message).toBe('Server error (HTTP 500)');
    expect(errorFromResponse(409, '{"detail": []}').message).toBe('Conflict (HTTP 409)');
    expect(errorFromResponse(418, '').message).toBe('Request failed (HTTP 418)');
  });
});

describe('detailMessage', () => {
  it('handles strings, lists of strings and objects', () => {
    expect(detailMessage('  ')).toBeNull();
    expect(detailMessage(['a', 'b'])).toBe('a; b');
    expect(detailMessage({ msg: 'nested' })).toBe('nested');
    expect(detailMessage([{ loc: ['body'], msg: 'Invalid JSON' }])).toBe('body: Invalid JSON');
    expect(detailMessage(42)).toBeNull();
  });
});

describe('apiUrl', () => {
  it('drops empty parameters and encodes the rest', () => {
    expect(apiUrl('/search', { q: 'solo leveling', source: '', page: 2 })).toBe('/api/search?q=solo+leveling&page=2');
    expect(apiUrl('/sources')).toBe('/api/sources');
  });
});

describe('request', () => {
  it('returns the parsed JSON of a 2xx answer and sends JSON bodies', async () => {
    const { calls } = mockFetch({ 'POST /api/download': () => json({ task_id: 't' }, 202) });
    await expect(request('/download', { method: 'POST', json: { ids: ['a'] } })).resolves.toEqual({ task_id: 't' });
    expect(calls[0]).toMatchObject({ method: 'POST', url: '/api/download', body: { ids: ['a'] } });
  });

  it('throws an ApiError carrying the detail of an error answer', async () => {
    mockFetch({ 'GET /api/manga/mangadex/info': () => json({ detail: 'Upstream failed' }, 502) });
    const error: unknown = await request('/manga/mangadex/info', { query: { id: 'x' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 502, message: 'Upstream failed' });
  });

  it('maps a non-JSON error page to a readable message', async () => {
    mockFetch({ 'GET /api/search': () => new Response('<h1>502 Bad Gateway</h1>', { status: 502 }) });
    await expect(request('/search')).rejects.toMatchObject({
      status: 502,
      message: 'Bad gateway: the manga source failed (HTTP 502)',
    });
  });

  it('reports an unreachable server as status 0', async () => {
    vi.stubGlobal('fetch', vi.fn(() => Promise.reject(new TypeError('Failed to fetch'))));
    await expect(request('/health')).rejects.toMatchObject({ status: 0, message: 'Cannot reach the server' });
  });

  it('reports an unreadable 200 answer', async () => {
    mockFetch({ 'GET /api/sources': () => new Response('<html>', { status: 200 }) });
    await expect(request('/sources')).rejects.toMatchObject({ status: 200 });
  });
});

describe('fetchHealth', () => {
  it('reads a 503 body as a degraded health report, not an error', async () => {
    mockFetch({
      'GET /api/health': () =>
        json(
          { status: 'degraded', redis: 'error: connection refused', workers: 0, queues: { downloads: 0 }, consumet: 'ok' },
          503,
        ),
    });
    await expect(fetchHealth()).resolves.toEqual({
      status: 'degraded',
      redis: 'error: connection refused',
      workers: 0,
      worker_status: { count: 0, state: 'none', message: 'no worker is running: downloads will wait' },
      queues: { downloads: 0 },
      consumet: 'ok',
    });
  });
});

describe('credentials and 401', () => {
  it('sends same-origin credentials and tells listeners about a 401 outside /auth', async () => {
    const { fn } = mockFetch({
      'GET /api/downloads': () => json({ detail: 'login required' }, 401),
      'POST /api/auth/login': () => json({ detail: 'wrong password' }, 401),
    });
    const heard = vi.fn();
    const stop = onUnauthorized(heard);
    await expect(request('/downloads')).rejects.toMatchObject({ status: 401, message: 'login required' });
    await expect(request('/auth/login', { method: 'POST', json: { password: 'x' } })).rejects.toMatchObject({ status: 401 });
    stop();
    await expect(request('/downloads')).rejects.toMatchObject({ status: 401 });
    expect(heard).toHaveBeenCalledTimes(1);
    expect(fn.mock.calls[0]?.[1]).toMatchObject({ credentials: 'same-origin' });
  });
});
