import type { Chapter } from './api/types';

/** Human-readable size: 1536 → "1.5 KB" (binary multiples, as file managers show them). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${units[unit] ?? 'TB'}`;
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** "3 minutes ago" / "in 2 hours" for an epoch-seconds time relative to `nowMs`. */
export function formatRelative(epochSeconds: number, nowMs: number): string {
  const diff = epochSeconds - nowMs / 1000;
  const abs = Math.abs(diff);
  if (abs < 45) return diff < 0 ? 'just now' : 'in a few seconds';
  if (abs < 45 * 60) return relative.format(Math.round(diff / 60), 'minute');
  if (abs < 22 * 3600) return relative.format(Math.round(diff / 3600), 'hour');
  return relative.format(Math.round(diff / 86400), 'day');
}

/**
 * Name of a chapter in lists and accessible labels: "Chapter <number>: <title>", shortened to
 * the title when it already names the number ("Chapter 3"), or to one part when the other is
 * missing.
 */
export function chapterLabel(chapter: Chapter): string {
  const title = chapter.title.trim();
  const number = chapter.number?.trim() ?? '';
  if (!number) return title || `Chapter ${chapter.id}`;
  if (!title) return `Chapter ${number}`;
  const escaped = number.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  if (new RegExp(`(^|[^\\d.])${escaped}($|[^\\d])`).test(title)) return title;
  return `Chapter ${number}: ${title}`;
}
