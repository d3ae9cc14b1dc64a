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
  if (abs < 45) return diff <= 0 ? 'just now' : 'in a few seconds';
  if (abs < 45 * 60) return relative.format(Math.round(diff / 60), 'minute');
  if (abs < 22 * 3600) return relative.format(Math.round(diff / 3600), 'hour');
  return relative.format(Math.round(diff / 86400), 'day');
}

/** "3 minutes ago" for a past moment; one slightly ahead of our clock (another host's) is "just now". */
export function formatAgo(epochSeconds: number, nowMs: number): string {
  return formatRelative(Math.min(epochSeconds, nowMs / 1000), nowMs);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * A source's release date as "14 Nov 2025". Sources send ISO times (`2025-11-14T08:00:00Z`),
 * `Nov 14,2025` (mangahere) or a bare year; a text that is not a date (e.g. "2 days ago") is
 * kept as it is. The day is the one written, not shifted by the reader's time zone.
 */
export function formatReleased(text: string): string {
  const value = text.trim();
  const iso = value.match(/^(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$/);
  if (iso) {
    const [, year, month, day] = iso;
    const name = MONTHS[Number(month) - 1];
    if (name && Number(day) >= 1 && Number(day) <= 31) return `${Number(day)} ${name} ${year}`;
  }
  const written = value.match(/^([A-Za-z]{3})[a-z]*\.? (\d{1,2}), ?(\d{4})$/);
  if (written) {
    const [, month = '', day, year] = written;
    const index = MONTHS.findIndex((m) => m.toLowerCase() === month.toLowerCase());
    if (index >= 0) return `${Number(day)} ${MONTHS[index]} ${year}`;
  }
  return value;
}

/** "004" → "4", "002.50" → "2.50": chapter numbers as people write them. */
function plainNumber(number: string): string {
  return number.replace(/^0+(?=\d)/, '');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Name of a chapter in lists, headings and accessible labels: "Chapter 4 — Rooftop Run".
 * A title that repeats the number the way sources write it ("Ch.004 - Rooftop Run",
 * "Vol.01 Ch.002 - Night Shift") loses that prefix (the volume is shown on its own); a title
 * that is only its number ("Chapter 3") gives "Chapter 3"; one that names the number otherwise
 * ("Episode 4") is kept as is.
 */
export function chapterLabel(chapter: Chapter): string {
  const title = chapter.title.trim();
  const raw = chapter.number?.trim() ?? '';
  if (!raw) return title || `Chapter ${chapter.id}`;
  const number = plainNumber(raw);
  const digits = `0*${escapeRegExp(number)}`;
  const prefix = new RegExp(
    `^(?:vol(?:ume)?\\.?\\s*\\d+\\s*[-:,]?\\s*)?(?:ch(?:apter)?|ep(?:isode)?)?\\.?\\s*${digits}(?![\\d.])\\s*(?:[-:–—.]\\s*)?`,
    'i',
  );
  const rest = title.replace(prefix, '').trim();
  if (!rest) return `Chapter ${number}`;
  // Untouched and naming the number some other way ("Side story 4"): the source's own words.
  if (rest === title && new RegExp(`(^|[^\\d.])${digits}($|[^\\d])`).test(title)) return title;
  return `Chapter ${number} — ${rest}`;
}

export interface Upload {
  /** 1-based, in a stable order (by id), whatever order the list is shown in. */
  index: number;
  of: number;
}

/**
 * Chapters whose number was uploaded more than once (by different scanlation groups), each
 * with which upload it is. Consumet does not name the group, so the UI says "upload 1 of 2".
 */
export function uploadsByNumber(chapters: readonly Chapter[]): Map<string, Upload> {
  const byNumber = new Map<string, string[]>();
  for (const chapter of chapters) {
    const number = chapter.number?.trim();
    if (!number) continue;
    const key = plainNumber(number);
    byNumber.set(key, [...(byNumber.get(key) ?? []), chapter.id]);
  }
  const out = new Map<string, Upload>();
  for (const ids of byNumber.values()) {
    if (ids.length < 2) continue;
    [...ids].sort().forEach((id, i) => out.set(id, { index: i + 1, of: ids.length }));
  }
  return out;
}
