import { renderHook } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import {
  LAST_PAGE_KEY,
  LAST_PAGE_MAX_ENTRIES,
  readLastPage,
  resumePage,
  useLastPage,
  writeLastPage,
} from './useLastPage';

describe('last page storage', () => {
  it('round-trips a position per source and chapter', () => {
    writeLastPage(localStorage, 'mangadex', 'ch-1', 4, 12, 1000);
    writeLastPage(localStorage, 'demo', 'ch-1', 7, 9, 2000);
    expect(readLastPage(localStorage, 'mangadex', 'ch-1')).toEqual({ page: 4, total: 12, at: 1000 });
    expect(readLastPage(localStorage, 'demo', 'ch-1')).toEqual({ page: 7, total: 9, at: 2000 });
    expect(readLastPage(localStorage, 'mangadex', 'ch-2')).toBeNull();
  });

  it('overwrites the previous position of the same chapter', () => {
    writeLastPage(localStorage, 's', 'c', 1, 10, 1);
    writeLastPage(localStorage, 's', 'c', 6, 10, 2);
    expect(readLastPage(localStorage, 's', 'c')?.page).toBe(6);
  });

  it('survives corrupt or foreign data', () => {
    localStorage.setItem(LAST_PAGE_KEY, '{not json');
    expect(readLastPage(localStorage, 's', 'c')).toBeNull();
    localStorage.setItem(LAST_PAGE_KEY, JSON.stringify({ 's:c': { page: 'three' }, 's:d': { page: 2, total: 5, at: 1 } }));
    expect(readLastPage(localStorage, 's', 'c')).toBeNull();
    expect(readLastPage(localStorage, 's', 'd')?.page).toBe(2);
    writeLastPage(localStorage, 's', 'e', 1, 5, 3);
    expect(readLastPage(localStorage, 's', 'd')?.page).toBe(2);
  });

  it('keeps only the most recent entries', () => {
    for (let i = 0; i <= LAST_PAGE_MAX_ENTRIES; i += 1) writeLastPage(localStorage, 's', `c${i}`, 1, 2, i);
    expect(readLastPage(localStorage, 's', 'c0')).toBeNull();
    expect(readLastPage(localStorage, 's', `c${LAST_PAGE_MAX_ENTRIES}`)).not.toBeNull();
  });

  it('does nothing without storage', () => {
    expect(() => writeLastPage(null, 's', 'c', 1, 2)).not.toThrow();
    expect(readLastPage(null, 's', 'c')).toBeNull();
  });

  it('resumes only inside the chapter and past its first page', () => {
    expect(resumePage({ page: 3, total: 10, at: 0 }, 10)).toBe(3);
    expect(resumePage({ page: 0, total: 10, at: 0 }, 10)).toBeNull();
    expect(resumePage({ page: 12, total: 20, at: 0 }, 10)).toBeNull();
    expect(resumePage(null, 10)).toBeNull();
  });
});

describe('useLastPage', () => {
  it('reads the saved page and saves a new one', () => {
    writeLastPage(localStorage, 's', 'c', 5, 10);
    const { result } = renderHook(() => useLastPage('s', 'c'));
    expect(result.current.saved?.page).toBe(5);
    result.current.save(8, 10);
    expect(readLastPage(localStorage, 's', 'c')?.page).toBe(8);
  });
});
