import { useCallback, useEffect, useState } from 'react';

/**
 * How long a page image may take before the reader stops waiting and offers a retry. The
 * server's image proxy answers an interactive request within its own, shorter budget (a 504 with
 * a reason); this is the backstop for a connection that never answers at all.
 */
export const PAGE_TIMEOUT_MS = 20_000;

export type PageLoadState = 'loading' | 'loaded' | 'failed' | 'timed-out';

/**
 * The load state of one page image. While `active` (the image is wanted now, not lazily later)
 * and still loading, a timer runs; when it fires the page reads as timed out, and the caller
 * drops the `<img>` (which aborts its request). `retry` starts a fresh attempt.
 */
export function usePageLoad(active: boolean, timeoutMs: number = PAGE_TIMEOUT_MS) {
  const [state, setState] = useState<PageLoadState>('loading');
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (!active || state !== 'loading') return;
    const timer = setTimeout(() => setState('timed-out'), timeoutMs);
    return () => clearTimeout(timer);
  }, [active, state, timeoutMs, attempt]);

  const loaded = useCallback(() => setState((s) => (s === 'loading' ? 'loaded' : s)), []);
  const failed = useCallback(() => setState((s) => (s === 'loading' ? 'failed' : s)), []);
  const retry = useCallback(() => {
    setAttempt((a) => a + 1);
    setState('loading');
  }, []);
  return { state, attempt, loaded, failed, retry };
}

/** The URL of an attempt: a retry asks again past any cached failure (the server ignores `retry`). */
export function attemptUrl(url: string, attempt: number): string {
  if (attempt === 0) return url;
  return `${url}${url.includes('?') ? '&' : '?'}retry=${attempt}`;
}
