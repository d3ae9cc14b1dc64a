import type { RefObject } from 'react';

import type { ChapterPage } from '../api/types';
import { PageImage } from './PageImage';

/** Pages after the current one that are fetched ahead of time. */
export const PRELOAD_AHEAD = 3;

interface StripViewProps {
  areaRef: RefObject<HTMLDivElement | null>;
  pages: readonly ChapterPage[];
  current: number;
  onPageLoad: (index: number) => void;
}

/** Every page in one column; the pages around the current one load at once, the rest lazily. */
export function StripView({ areaRef, pages, current, onPageLoad }: StripViewProps) {
  return (
    <div className="strip" ref={areaRef} tabIndex={-1}>
      {pages.map((page, i) => (
        <section key={`${i}-${page.url}`} className="strip-page" data-index={i}>
          <PageImage
            url={page.url}
            number={i + 1}
            eager={i >= current - 1 && i <= current + PRELOAD_AHEAD}
            onLoad={() => onPageLoad(i)}
          />
        </section>
      ))}
    </div>
  );
}
