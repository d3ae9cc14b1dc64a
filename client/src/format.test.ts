import { describe, expect, it } from 'vitest';

import { chapterLabel, formatAgo, formatBytes, formatRelative, formatReleased } from './format';

const chapter = (title: string, number: string | null) => ({ id: 'x1', title, number, volume: null, pages: null, released: null });

describe('chapterLabel', () => {
  it('names a chapter by title and number without repeating the number', () => {
    expect(chapterLabel(chapter('Chapter 3', '3'))).toBe('Chapter 3');
    expect(chapterLabel(chapter('', '3'))).toBe('Chapter 3');
    expect(chapterLabel(chapter('The Beginning', '3'))).toBe('Chapter 3 — The Beginning');
    expect(chapterLabel(chapter('Chapter 13', '3'))).toBe('Chapter 3 — Chapter 13');
    expect(chapterLabel(chapter('Ch. 10.5 - Extra', '10.5'))).toBe('Chapter 10.5 — Extra');
    expect(chapterLabel(chapter('Side story 4', '4'))).toBe('Side story 4');
    expect(chapterLabel(chapter('Oneshot', null))).toBe('Oneshot');
    expect(chapterLabel(chapter('', null))).toBe('Chapter x1');
  });

  it('drops the prefixes sources put in titles', () => {
    expect(chapterLabel(chapter('Ch.004 - Rooftop Run', '4'))).toBe('Chapter 4 — Rooftop Run');
    expect(chapterLabel(chapter('Ch.003', '3'))).toBe('Chapter 3');
    expect(chapterLabel(chapter('Vol.01 Ch.002 - Night Shift', '2'))).toBe('Chapter 2 — Night Shift');
    expect(chapterLabel(chapter('Ch.002.5 - Side Story', '2.5'))).toBe('Chapter 2.5 — Side Story');
    expect(chapterLabel(chapter('Chapter 12: Return', '012'))).toBe('Chapter 12 — Return');
  });
});

describe('formatReleased', () => {
  it('writes dates as 14 Nov 2025 and keeps what is not a date', () => {
    expect(formatReleased('Nov 14,2025')).toBe('14 Nov 2025');
    expect(formatReleased('Sep 3, 2024')).toBe('3 Sep 2024');
    expect(formatReleased('2025-11-14T23:30:00+00:00')).toBe('14 Nov 2025');
    expect(formatReleased('2025-01-05')).toBe('5 Jan 2025');
    expect(formatReleased('2 days ago')).toBe('2 days ago');
    expect(formatReleased('2021')).toBe('2021');
  });
});

describe('formatBytes', () => {
  it('formats sizes with binary units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5.0 MB');
    expect(formatBytes(300 * 1024 * 1024)).toBe('300 MB');
  });
});

describe('formatRelative', () => {
  it('describes times around now', () => {
    const now = 1_700_000_000_000;
    expect(formatRelative(now / 1000 - 10, now)).toBe('just now');
    expect(formatRelative(now / 1000 + 600, now)).toMatch(/10 minutes/);
  });

  it('never says a job made a moment ago was made in the future', () => {
    const now = 1_700_000_000_000;
    expect(formatAgo(now / 1000 + 2, now)).toBe('just now');
    expect(formatAgo(now / 1000 - 600, now)).toMatch(/10 minutes ago/);
  });
});
