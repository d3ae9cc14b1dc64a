import { describe, expect, it } from 'vitest';

import { chapterLabel, formatBytes, formatRelative } from './format';

const chapter = (title: string, number: string | null) => ({ id: 'x1', title, number, volume: null, pages: null, released: null });

describe('chapterLabel', () => {
  it('names a chapter by title and number without repeating the number', () => {
    expect(chapterLabel(chapter('Chapter 3', '3'))).toBe('Chapter 3');
    expect(chapterLabel(chapter('', '3'))).toBe('Chapter 3');
    expect(chapterLabel(chapter('The Beginning', '3'))).toBe('Chapter 3: The Beginning');
    expect(chapterLabel(chapter('Chapter 13', '3'))).toBe('Chapter 3: Chapter 13');
    expect(chapterLabel(chapter('Ch. 10.5 - Extra', '10.5'))).toBe('Ch. 10.5 - Extra');
    expect(chapterLabel(chapter('Oneshot', null))).toBe('Oneshot');
    expect(chapterLabel(chapter('', null))).toBe('Chapter x1');
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
});
