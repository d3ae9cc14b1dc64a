import { act, renderHook } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { attemptUrl, usePageLoad } from './usePageLoad';

describe('usePageLoad', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('times out a wanted page that does not arrive, and retries from scratch', () => {
    const { result } = renderHook(() => usePageLoad(true, 1000));
    act(() => {
      vi.advanceTimersByTime(999);
    });
    expect(result.current.state).toBe('loading');
    act(() => {
      vi.advanceTimersByTime(1);
    });
    expect(result.current.state).toBe('timed-out');

    act(() => {
      result.current.retry();
    });
    expect(result.current).toMatchObject({ state: 'loading', attempt: 1 });
    act(() => {
      vi.advanceTimersByTime(500);
    });
    act(() => {
      result.current.loaded();
    });
    act(() => {
      vi.advanceTimersByTime(5000);
    });
    expect(result.current.state).toBe('loaded');
  });

  it('does not time a page the browser loads lazily later', () => {
    const { result, rerender } = renderHook(({ active }) => usePageLoad(active, 1000), { initialProps: { active: false } });
    act(() => {
      vi.advanceTimersByTime(5000);
    });
    expect(result.current.state).toBe('loading');
    rerender({ active: true });
    act(() => {
      vi.advanceTimersByTime(1000);
    });
    expect(result.current.state).toBe('timed-out');
  });

  it('keeps the first outcome: an error after the timeout changes nothing', () => {
    const { result } = renderHook(() => usePageLoad(true, 1000));
    act(() => {
      result.current.failed();
    });
    expect(result.current.state).toBe('failed');
    act(() => {
      result.current.loaded();
    });
    expect(result.current.state).toBe('failed');
  });
});

describe('attemptUrl', () => {
  it('asks again under a new URL for each retry', () => {
    expect(attemptUrl('/api/image/t', 0)).toBe('/api/image/t');
    expect(attemptUrl('/api/image/t', 2)).toBe('/api/image/t?retry=2');
    expect(attemptUrl('/api/image/t?a=1', 1)).toBe('/api/image/t?a=1&retry=1');
  });
});
