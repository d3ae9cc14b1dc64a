import { useEffect, type MouseEvent, type RefObject } from 'react';
import { Link } from 'react-router-dom';

import type { ChapterPage } from '../api/types';
import type { PageFit } from '../hooks/useReaderMode';
import { PageImage } from './PageImage';
import { PRELOAD_AHEAD } from './StripView';

interface PagedViewProps {
  areaRef: RefObject<HTMLDivElement | null>;
  pages: readonly ChapterPage[];
  current: number;
  fit: PageFit;
  onForward: () => void;
  onBack: () => void;
  /** On the last page, where "next" leads (the next chapter), with its name. */
  nextChapter: { to: string; label: string } | null;
}

/** Fetches the next pages ahead so turning a page is instant. */
function usePreload(urls: readonly string[]) {
  const key = urls.join('\n');
  useEffect(() => {
    const images = key.split('\n').filter(Boolean).map((url) => {
      const img = new Image();
      img.decoding = 'async';
      img.src = url;
      return img;
    });
    return () => {
      for (const img of images) img.onload = null;
    };
  }, [key]);
}

/** One page at a time, fitted to the window; a click on its left third goes back. */
export function PagedView({ areaRef, pages, current, fit, onForward, onBack, nextChapter }: PagedViewProps) {
  const page = pages[current];
  const last = current >= pages.length - 1;
  usePreload(pages.slice(current + 1, current + 1 + PRELOAD_AHEAD).map((p) => p.url));

  const onClick = (event: MouseEvent<HTMLDivElement>) => {
    const rect = event.currentTarget.getBoundingClientRect();
    const x = event.clientX - rect.left;
    if (rect.width > 0 && x < rect.width / 3) onBack();
    else onForward();
  };

  return (
    <div className={`paged fit-${fit}`} ref={areaRef} tabIndex={-1}>
      <div className="paged-stage" onClick={onClick}>
        {page ? <PageImage key={current} url={page.url} number={current + 1} eager /> : null}
      </div>
      <div className="paged-nav">
        <button type="button" className="btn" disabled={current <= 0} onClick={onBack}>
          Previous page
        </button>
        {last && nextChapter ? (
          <Link className="btn btn-primary" to={nextChapter.to}>
            Read next: {nextChapter.label}
          </Link>
        ) : (
          <button type="button" className="btn" disabled={last} onClick={onForward}>
            Next page
          </button>
        )}
      </div>
    </div>
  );
}
