import { useCallback, useEffect, useRef, type CSSProperties } from 'react';
import { useNavigate } from 'react-router-dom';

import type { ChapterPage, MangaInfo } from '../api/types';
import { chapterLabel } from '../format';
import { useDocumentTitle } from '../hooks/useDocumentTitle';
import { usePageFit, useReaderMode, type ReaderMode } from '../hooks/useReaderMode';
import { paths } from '../routes';
import { PagedView } from './PagedView';
import { ReaderBar } from './ReaderBar';
import { ReaderEnd } from './ReaderEnd';
import { chapterNeighbours } from './readingOrder';
import { ResumeToast } from './ResumeToast';
import { StripView } from './StripView';
import { useElementHeight } from './useElementHeight';
import { useReaderKeys } from './useReaderKeys';
import { useReadingPosition, useTimedNotice } from './useReadingPosition';
import { useStripPosition } from './useStripPosition';

const RESUME_NOTICE_MS = 8000;

export interface ReaderViewProps {
  source: string;
  seriesId: string;
  chapterId: string;
  pages: readonly ChapterPage[];
  /** The series (for titles and the chapters around this one); null until it loads. */
  manga: MangaInfo | null;
}

/** A chapter's pages as a long strip or one at a time, with the position kept per chapter. */
export function ReaderView({ source, seriesId, chapterId, pages, manga }: ReaderViewProps) {
  const total = pages.length;
  const navigate = useNavigate();
  const [mode, setMode] = useReaderMode();
  const [fit, setFit] = usePageFit();
  const { current, setCurrent, resumedAt } = useReadingPosition(source, chapterId, total);
  const [showResume, dismissResume] = useTimedNotice(resumedAt !== null, RESUME_NOTICE_MS);

  const neighbours = manga ? chapterNeighbours(manga.chapters, chapterId) : null;
  const title = neighbours?.current ? chapterLabel(neighbours.current) : 'Chapter';
  const seriesTitle = manga?.title ?? 'Series';
  useDocumentTitle(manga ? `${title} – ${seriesTitle}` : title);
  const previous = neighbours?.previous ?? null;
  const next = neighbours?.next ?? null;
  const nextPath = next ? paths.reader(source, seriesId, next.id) : null;

  const barRef = useRef<HTMLDivElement>(null);
  const barHeight = useElementHeight(barRef);
  const readingAreaRef = useRef<HTMLDivElement>(null);
  const { scrollToPage, onPageLoad } = useStripPosition({
    enabled: mode === 'strip',
    total,
    current,
    onCurrent: setCurrent,
    containerRef: readingAreaRef,
    barRef,
  });

  const goTo = useCallback(
    (index: number) => {
      const target = Math.min(total - 1, Math.max(0, index));
      setCurrent(target);
      if (mode === 'strip') scrollToPage(target);
      else window.scrollTo({ top: 0 });
    },
    [mode, total, setCurrent, scrollToPage],
  );
  // Past the last page is the next chapter.
  const forward = () => {
    if (current < total - 1) goTo(current + 1);
    else if (nextPath) void navigate(nextPath);
  };
  const back = () => goTo(current - 1);
  useReaderKeys({ spaceTurnsPage: mode === 'paged', onForward: forward, onBack: back });

  // After a mode switch, keys (space in particular) should turn pages, not press the button again.
  const focusReadingArea = useRef(false);
  useEffect(() => {
    if (!focusReadingArea.current) return;
    focusReadingArea.current = false;
    readingAreaRef.current?.focus({ preventScroll: true });
  }, [mode]);
  const switchMode = (nextMode: ReaderMode) => {
    if (nextMode === mode) return;
    setMode(nextMode);
    if (nextMode === 'paged') window.scrollTo({ top: 0 });
    focusReadingArea.current = true;
  };

  const atEnd = mode === 'strip' || current >= total - 1;
  const style = barHeight > 0 ? ({ '--reader-bar-height': `${barHeight}px` } as CSSProperties) : undefined;
  return (
    <div className={`reader reader-${mode}`} style={style}>
      <ReaderBar
        barRef={barRef}
        source={source}
        seriesId={seriesId}
        seriesTitle={seriesTitle}
        title={title}
        pageNumber={Math.min(current + 1, total)}
        total={total}
        mode={mode}
        onMode={switchMode}
        fit={fit}
        onFit={setFit}
        previous={previous}
        next={next}
      />
      {showResume && resumedAt !== null ? (
        <ResumeToast
          page={resumedAt + 1}
          onStartOver={() => {
            dismissResume();
            goTo(0);
          }}
          onDismiss={dismissResume}
        />
      ) : null}
      {mode === 'strip' ? (
        <StripView areaRef={readingAreaRef} pages={pages} current={current} onPageLoad={onPageLoad} />
      ) : (
        <PagedView
          areaRef={readingAreaRef}
          pages={pages}
          current={current}
          fit={fit}
          onForward={forward}
          onBack={back}
          nextChapter={next && nextPath ? { to: nextPath, label: chapterLabel(next) } : null}
        />
      )}
      <ReaderEnd
        source={source}
        seriesId={seriesId}
        title={title}
        atEnd={atEnd}
        offerNext={mode === 'strip'}
        next={next}
        seriesKnown={manga !== null}
      />
    </div>
  );
}
