import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import type { Chapter } from '../api/types';
import { renderRoute } from '../test/render';
import { ChapterList } from './ChapterList';

const chapters: Chapter[] = [
  { id: 'ch-2', title: 'Chapter 2', number: '2', volume: null, pages: 12, released: null },
  { id: 'ch-1', title: 'Chapter 1', number: '1', volume: '1', pages: 0, released: null },
];

describe('ChapterList', () => {
  it('marks an external chapter (0 pages) and offers neither selection nor Read', () => {
    renderRoute(
      <ChapterList source="mangadex" seriesId="s" chapters={chapters} isSelected={() => false} onToggle={() => undefined} />,
    );
    const [normal, external, ...rest] = within(screen.getByRole('list', { name: 'Chapters' })).getAllByRole('listitem');
    expect(normal).toBeDefined();
    expect(rest).toEqual([]);
    if (!external) throw new Error('the external chapter is not listed');
    expect(within(external).getByText('external — read at the publisher')).toBeInTheDocument();
    expect(within(external).queryByRole('checkbox')).toBeNull();
    expect(within(external).queryByRole('link')).toBeNull();
    expect(screen.getAllByRole('checkbox').map((c) => c.getAttribute('aria-label'))).toEqual(['Select Chapter 2']);
    expect(screen.getByRole('link', { name: 'Read Chapter 2' })).toBeInTheDocument();
  });
});
