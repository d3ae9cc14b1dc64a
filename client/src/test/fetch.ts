import { vi } from 'vitest';

export interface Call {
  method: string;
  /** Path and query, e.g. `/api/search?q=x`. */
  url: string;
  body: unknown;
}

export type Handler = (call: Call) => Response | Promise<Response>;

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

/**
 * Replaces `fetch` with a router: the first handler whose `METHOD path` key matches the request
 * (path without query, or `METHOD path?query` for an exact match) answers; others get a 404.
 */
export function mockFetch(handlers: Record<string, Handler>) {
  const calls: Call[] = [];
  const fn = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const raw = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const url = new URL(raw, 'http://localhost');
    const method = (init?.method ?? 'GET').toUpperCase();
    const body: unknown = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
    const call: Call = { method, url: `${url.pathname}${url.search}`, body };
    calls.push(call);
    const handler =
      handlers[`${method} ${url.pathname}${url.search}`] ?? handlers[`${method} ${url.pathname}`];
    if (!handler) return json({ detail: `no mock for ${method} ${call.url}` }, 404);
    return handler(call);
  });
  vi.stubGlobal('fetch', fn);
  return { fn, calls };
}
