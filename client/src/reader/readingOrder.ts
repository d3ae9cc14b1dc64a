import type { Chapter } from '../api/types';

export interface ChapterNeighbours {
  current: Chapter | null;
  /** The chapter read before this one (older). */
  previous: Chapter | null;
  /** The chapter read after this one (newer). */
  next: Chapter | null;
}

/** "4", "4.0" and "04" are one chapter number; null when the chapter has none. */
function numberKey(chapter: Chapter): string | null {
  const text = chapter.number?.trim() ?? '';
  if (text === '') return null;
  const value = Number(text);
  return Number.isFinite(value) ? String(value) : text;
}

/**
 * The series' chapters (newest first, as the server lists them) with one upload per chapter
 * number: two scanlation groups' uploads of chapter 4 are read once. The current chapter stands
 * for its own number; any other number keeps its first-listed upload.
 */
export function readingOrder(chapters: readonly Chapter[], currentId: string): Chapter[] {
  const current = chapters.find((c) => c.id === currentId);
  const currentKey = current ? numberKey(current) : null;
  const seen = new Set<string>();
  return chapters.filter((chapter) => {
    const key = numberKey(chapter);
    if (key === null) return true;
    if (key === currentKey) return chapter.id === currentId;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Neighbours in reading order, from the series' chapter list (newest first). */
export function chapterNeighbours(chapters: readonly Chapter[], chapterId: string): ChapterNeighbours {
  const order = readingOrder(chapters, chapterId);
  const i = order.findIndex((c) => c.id === chapterId);
  if (i === -1) return { current: null, previous: null, next: null };
  return { current: order[i] ?? null, previous: order[i + 1] ?? null, next: order[i - 1] ?? null };
}
