import { describe, expect, it } from 'vitest';

import type { Chapter } from '../api/types';
import { makeChapters } from '../test/fixtures';
import { chapterNeighbours, readingOrder } from './readingOrder';

function chapter(id: string, number: string | null): Chapter {
  return { id, title: '', number, volume: null, pages: 8, released: null };
}

// Newest first, as the server lists them: chapter 4 uploaded by two groups.
const twoUploads = [chapter('c5', '5'), chapter('c4', '4'), chapter('c4-alt', '4.0'), chapter('c3', '3')];

describe('chapterNeighbours', () => {
  it('finds the previous (older) and next (newer) chapters in a newest-first list', () => {
    const chapters = makeChapters(5); // ch-5 … ch-1
    expect(chapterNeighbours(chapters, 'ch-3')).toMatchObject({ previous: { id: 'ch-2' }, next: { id: 'ch-4' } });
    expect(chapterNeighbours(chapters, 'ch-5').next).toBeNull();
    expect(chapterNeighbours(chapters, 'ch-1').previous).toBeNull();
    expect(chapterNeighbours(chapters, 'nope').current).toBeNull();
  });

  it('reads one upload of a chapter number straight through, the first listed', () => {
    expect(chapterNeighbours(twoUploads, 'c3').next?.id).toBe('c4');
    expect(chapterNeighbours(twoUploads, 'c5').previous?.id).toBe('c4');
    expect(chapterNeighbours(twoUploads, 'c4')).toMatchObject({ previous: { id: 'c3' }, next: { id: 'c5' } });
  });

  it('leads from the other upload to the chapters around it, not to its twin', () => {
    expect(chapterNeighbours(twoUploads, 'c4-alt')).toMatchObject({
      current: { id: 'c4-alt' },
      previous: { id: 'c3' },
      next: { id: 'c5' },
    });
  });

  it('keeps chapters without a number', () => {
    const chapters = [chapter('extra', null), chapter('c2', '2'), chapter('oneshot', ' '), chapter('c1', '1')];
    expect(readingOrder(chapters, 'c1').map((c) => c.id)).toEqual(['extra', 'c2', 'oneshot', 'c1']);
  });
});
