import { useCallback, useMemo, useState } from 'react';

import { browserStorage } from './storage';

/** One localStorage entry holds every chapter's position, bounded to the most recent ones. */
export const LAST_PAGE_KEY = 'manhwa.lastPages.v1';
export const LAST_PAGE_MAX_ENTRIES = 500;

export interface LastPage {
  /** 0-based page index. */
  page: number;
  total: number;
  /** Epoch milliseconds of the last write. */
  at: number;
}

type LastPages = Record<string, LastPage>;

function entryKey(source: string, chapterId: string): string {
  return `${source}:${chapterId}`;
}

function isLastPage(value: unknown): value is LastPage {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.page === 'number' &&
    Number.isInteger(v.page) &&
    v.page >= 0 &&
    typeof v.total === 'number' &&
    typeof v.at === 'number'
  );
}

function readAll(storage: Storage): LastPages {
  let parsed: unknown;
  try {
    parsed = JSON.parse(storage.getItem(LAST_PAGE_KEY) ?? '{}');
  } catch {
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
  const entries: LastPages = {};
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (isLastPage(value)) entries[key] = value;
  }
  return entries;
}

export function readLastPage(storage: Storage | null, source: string, chapterId: string): LastPage | null {
  if (!storage) return null;
  return readAll(storage)[entryKey(source, chapterId)] ?? null;
}

/** Saves a chapter's position; drops the oldest entries beyond `LAST_PAGE_MAX_ENTRIES`. */
export function writeLastPage(
  storage: Storage | null,
  source: string,
  chapterId: string,
  page: number,
  total: number,
  now: number = Date.now(),
): void {
  if (!storage || !Number.isInteger(page) || page < 0) return;
  const entries = readAll(storage);
  entries[entryKey(source, chapterId)] = { page, total, at: now };
  let kept = Object.entries(entries);
  if (kept.length > LAST_PAGE_MAX_ENTRIES) {
    kept = kept.sort((a, b) => b[1].at - a[1].at).slice(0, LAST_PAGE_MAX_ENTRIES);
  }
  try {
    storage.setItem(LAST_PAGE_KEY, JSON.stringify(Object.fromEntries(kept)));
  } catch {
    // Quota exceeded: losing a reading position is not worth an error on screen.
  }
}

/** The page to resume at (null: start at the top), valid for a chapter of `total` pages. */
export function resumePage(saved: LastPage | null, total: number): number | null {
  if (!saved || total <= 0) return null;
  if (saved.page <= 0 || saved.page >= total) return null;
  return saved.page;
}

/**
 * The last page read in a chapter, read once when the chapter opens, and a function saving the
 * current one.
 */
export function useLastPage(source: string, chapterId: string) {
  const [storage] = useState(browserStorage);
  const saved = useMemo(() => readLastPage(storage, source, chapterId), [storage, source, chapterId]);
  const save = useCallback(
    (page: number, total: number) => writeLastPage(storage, source, chapterId, page, total),
    [storage, source, chapterId],
  );
  return { saved, save };
}
