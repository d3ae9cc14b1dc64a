import { useCallback, useEffect, useRef, useState, type MouseEvent } from 'react';
import { Link, useParams } from 'react-router-dom';

import { useChapterPages, useMangaInfo } from '../api/manga';
import type { Chapter, ChapterPage, MangaInfo } from '../api/types';
import { ProgressBar } from '../components/ProgressBar';
import { ErrorNotice, Loading } from '../components/StatusViews';
import { chapterLabel } from '../format';
import { useDocumentTitle } from '../hooks/useDocumentTitle';
import { resumePage, useLastPage } from '../hooks/useLastPage';
import { useReaderMode, type ReaderMode } from '../hooks/useReaderMode';
import { paths } from '../routes';

/** Pages after the current one that are fetched ahead of time. */
export const PRELOAD_AHEAD = 3;
/** How long a jump to a page keeps that page in place while images above it load. */
const PIN_MS = 4000;
const RESUME_NOTICE_MS = 8000;

export interface ChapterNeighbours {
  current: Chapter | null;
  /** The chapter read before this one (older). */
  previous: Chapter | null;
  /** The chapter read after this one (newer). */
  next: Chapter | null;
}

/** Neighbours in reading order, from the series' chapter list (newest first). */
export function chapterNeighbours(chapters: readonly Chapter[], chapterId: string): ChapterNeighbours {
  const i = chapters.findIndex((c) => c.id === chapterId);
  if (i === -1) return { current: null, previous: null, next: null };
  return { current: chapters[i] ?? null, previous: chapters[i + 1] ?? null, next: chapters[i - 1] ?? null };
}

export function ReaderPage() {
  const { source = '', seriesId = '', chapterId = '' } = useParams();
  const pages = useChapterPages(source, chapterId);
  const info = useMangaInfo(source, seriesId);

  if (pages.isPending) return <Loading label="Loading chapter…" />;
  if (pages.isError) {
    return (
      <div className="reader-failed">
        <ErrorNotice title="Could not load the chapter" error={pages.error} onRetry={() => void pages.refetch()} />
        <p>
          <Link to={paths.series(source, seriesId)}>Back to series</Link>
        </p>
      </div>
    );
  }
  return (
    <ReaderView
      key={`${source}:${chapterId}`}
      source={source}
      seriesId={seriesId}
      chapterId={chapterId}
      pages={pages.data.pages}
      manga={info.data ?? null}
    />
  );
}

interface ReaderViewProps {
  source: string;
  seriesId: string;
  chapterId: string;
  pages: readonly ChapterPage[];
  manga: MangaInfo | null;
}

function isEditable(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

function isActivatable(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && ['BUTTON', 'A', 'SUMMARY'].includes(target.tagName);
}

function ReaderView({ source, seriesId, chapterId, pages, manga }: ReaderViewProps) {
  const total = pages.length;
  const [mode, setMode] = useReaderMode();
  const { saved, save } = useLastPage(source, chapterId);
  const [resumedAt] = useState(() => resumePage(saved, total));
  const [current, setCurrent] = useState(resumedAt ?? 0);
  const [showResume, setShowResume] = useState(resumedAt !== null);
  useEffect(() => {
    if (!showResume) return;
    const timer = setTimeout(() => setShowResume(false), RESUME_NOTICE_MS);
    return () => clearTimeout(timer);
  }, [showResume]);
  const pageRefs = useRef<(HTMLElement | null)[]>([]);

  const neighbours = manga ? chapterNeighbours(manga.chapters, chapterId) : null;
  const title = neighbours?.current ? chapterLabel(neighbours.current) : 'Chapter';
  const seriesTitle = manga?.title ?? 'Series';
  useDocumentTitle(manga ? `${title} – ${seriesTitle}` : title);

  const readingAreaRef = useRef<HTMLDivElement>(null);
  const focusReadingArea = useRef(false);

  // After a mode switch, keys (space in particular) should turn pages, not press the button again.
  useEffect(() => {
    if (!focusReadingArea.current) return;
    focusReadingArea.current = false;
    readingAreaRef.current?.focus({ preventScroll: true });
  }, [mode]);

  // After a programmatic jump (resume, keys) the target page is "pinned": images above it that
  // finish loading change the layout, so the jump is repeated until the reader takes over
  // (wheel, touch, pointer) or a few seconds pass. While pinned, scroll tracking is paused.
  const pinRef = useRef<{ index: number; until: number } | null>(null);

  const barRef = useRef<HTMLDivElement>(null);

  /** Scrolls so that page `index` starts right under the sticky reader bar. */
  const alignPage = useCallback((index: number) => {
    const el = pageRefs.current[index];
    if (!el) return;
    const top = el.getBoundingClientRect().top + window.scrollY - (barRef.current?.offsetHeight ?? 0);
    window.scrollTo({ top: Math.max(0, Math.round(top)) });
  }, []);

  const scrollToPage = useCallback(
    (index: number) => {
      pinRef.current = { index, until: Date.now() + PIN_MS };
      alignPage(index);
    },
    [alignPage],
  );

  const onPageLoad = useCallback(
    (index: number) => {
      const pin = pinRef.current;
      if (!pin) return;
      if (Date.now() > pin.until) pinRef.current = null;
      else if (index <= pin.index) alignPage(pin.index);
    },
    [alignPage],
  );

  useEffect(() => {
    const release = () => {
      pinRef.current = null;
    };
    // Registered before the key handler below, so a key that jumps pins again afterwards.
    const events = ['wheel', 'touchstart', 'pointerdown', 'keydown'] as const;
    for (const type of events) window.addEventListener(type, release, { passive: true });
    return () => {
      for (const type of events) window.removeEventListener(type, release);
    };
  }, []);

  const goTo = useCallback(
    (index: number) => {
      const next = Math.min(total - 1, Math.max(0, index));
      setCurrent(next);
      if (mode === 'strip') scrollToPage(next);
      else window.scrollTo({ top: 0 });
    },
    [mode, total, scrollToPage],
  );

  // Remember the position.
  useEffect(() => {
    save(current, total);
  }, [save, current, total]);

  // Strip mode: bring the current page into view when the strip appears (resume, mode switch).
  // A passive effect on purpose: it runs after the layout's scroll-to-top on navigation.
  const currentRef = useRef(current);
  useEffect(() => {
    currentRef.current = current;
  }, [current]);
  useEffect(() => {
    if (mode === 'strip' && currentRef.current > 0) scrollToPage(currentRef.current);
  }, [mode, scrollToPage]);

  // Strip mode: the page crossing a line near the top of the viewport is the current one.
  useEffect(() => {
    if (mode !== 'strip' || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver(
      (entries) => {
        const pin = pinRef.current;
        if (pin && Date.now() <= pin.until) return;
        for (const entry of entries) {
          if (!entry.isIntersecting) continue;
          const index = Number((entry.target as HTMLElement).dataset.index);
          if (Number.isInteger(index)) setCurrent(index);
        }
      },
      { rootMargin: '-40% 0px -59% 0px', threshold: 0 },
    );
    for (const el of pageRefs.current) if (el) observer.observe(el);
    return () => observer.disconnect();
  }, [mode, total]);

  // Paged mode: fetch the next pages ahead so turning a page is instant.
  useEffect(() => {
    if (mode !== 'paged') return;
    const images = pages.slice(current + 1, current + 1 + PRELOAD_AHEAD).map((p) => {
      const img = new Image();
      img.decoding = 'async';
      img.src = p.url;
      return img;
    });
    return () => {
      for (const img of images) img.onload = null;
    };
  }, [mode, current, pages]);

  // Keyboard: ←/k previous, →/j next, space next page in paged mode (strip: the browser scrolls).
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
      if (isEditable(event.target)) return;
      const key = event.key;
      if (key === 'ArrowRight' || key === 'j') {
        event.preventDefault();
        goTo(current + 1);
      } else if (key === 'ArrowLeft' || key === 'k') {
        event.preventDefault();
        goTo(current - 1);
      } else if (key === ' ' && mode === 'paged' && !isActivatable(event.target)) {
        event.preventDefault();
        goTo(event.shiftKey ? current - 1 : current + 1);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [goTo, current, mode]);

  const switchMode = (next: ReaderMode) => {
    if (next === mode) return;
    setMode(next);
    if (next === 'paged') window.scrollTo({ top: 0 });
    focusReadingArea.current = true;
  };

  const onPagedClick = (event: MouseEvent<HTMLDivElement>) => {
    const rect = event.currentTarget.getBoundingClientRect();
    const x = event.clientX - rect.left;
    goTo(rect.width > 0 && x < rect.width / 3 ? current - 1 : current + 1);
  };

  const pageNumber = Math.min(current + 1, total);
  const previous = neighbours?.previous ?? null;
  const next = neighbours?.next ?? null;

  return (
    <div className={`reader reader-${mode}`}>
      <div className="reader-bar" ref={barRef}>
        <div className="reader-bar-row">
          <Link className="reader-back" to={paths.series(source, seriesId)} aria-label={`Back to ${seriesTitle}`}>
            ‹ <span className="reader-series">{seriesTitle}</span>
          </Link>
          <h1 className="reader-title">{title}</h1>
          <span className="reader-count">
            Page {pageNumber} / {total}
          </span>
        </div>
        <div className="reader-bar-row reader-controls">
          <div className="segmented" role="group" aria-label="Reading mode">
            <button type="button" aria-pressed={mode === 'strip'} onClick={() => switchMode('strip')}>
              Long strip
            </button>
            <button type="button" aria-pressed={mode === 'paged'} onClick={() => switchMode('paged')}>
              Paged
            </button>
          </div>
          <nav className="chapter-nav" aria-label="Chapters">
            <ChapterLink to={previous} source={source} seriesId={seriesId} label="Previous chapter" short="‹ Prev" />
            <ChapterLink to={next} source={source} seriesId={seriesId} label="Next chapter" short="Next ›" />
          </nav>
        </div>
        <ProgressBar
          className="reader-progress"
          value={total > 0 ? (pageNumber / total) * 100 : 0}
          label="Reading progress"
          valueText={`Page ${pageNumber} of ${total}`}
        />
      </div>

      {showResume && resumedAt !== null ? (
        <div className="toast reader-resume" role="status">
          Resumed at page {resumedAt + 1}.{' '}
          <button
            type="button"
            className="btn btn-small"
            onClick={() => {
              setShowResume(false);
              goTo(0);
            }}
          >
            Start from page 1
          </button>
          <button type="button" className="btn btn-small btn-ghost" aria-label="Dismiss" onClick={() => setShowResume(false)}>
            ✕
          </button>
        </div>
      ) : null}

      {mode === 'strip' ? (
        <div className="strip" ref={readingAreaRef} tabIndex={-1}>
          {pages.map((page, i) => (
            <section
              key={`${i}-${page.url}`}
              ref={(el) => {
                pageRefs.current[i] = el;
              }}
              className="strip-page"
              data-index={i}
            >
              <PageImage
                url={page.url}
                number={i + 1}
                eager={i >= current - 1 && i <= current + PRELOAD_AHEAD}
                onLoad={() => onPageLoad(i)}
              />
            </section>
          ))}
        </div>
      ) : (
        <div className="paged" ref={readingAreaRef} tabIndex={-1}>
          <div className="paged-stage" onClick={onPagedClick}>
            {pages[current] ? (
              <PageImage key={current} url={pages[current].url} number={current + 1} eager />
            ) : null}
          </div>
          <div className="paged-nav">
            <button type="button" className="btn" disabled={current <= 0} onClick={() => goTo(current - 1)}>
              Previous page
            </button>
            <button type="button" className="btn" disabled={current >= total - 1} onClick={() => goTo(current + 1)}>
              Next page
            </button>
          </div>
        </div>
      )}

      <footer className="reader-end">
        {mode === 'strip' || current >= total - 1 ? (
          <>
            <p>End of {title}.</p>
            {next ? (
              <Link className="btn btn-primary" to={paths.reader(source, seriesId, next.id)}>
                Read next: {chapterLabel(next)}
              </Link>
            ) : manga ? (
              <p className="hint">This is the latest chapter.</p>
            ) : null}
          </>
        ) : null}
        <p>
          <Link to={paths.series(source, seriesId)}>All chapters</Link>
        </p>
      </footer>
    </div>
  );
}

function ChapterLink({
  to,
  source,
  seriesId,
  label,
  short,
}: {
  to: Chapter | null;
  source: string;
  seriesId: string;
  /** The accessible name, whatever the screen width shows. */
  label: string;
  short: string;
}) {
  const text = (
    <>
      <span className="wide-only">{label}</span>
      <span className="narrow-only" aria-hidden="true">
        {short}
      </span>
    </>
  );
  if (!to) {
    return (
      <button type="button" className="btn btn-small" disabled aria-label={label}>
        {text}
      </button>
    );
  }
  return (
    <Link
      className="btn btn-small"
      to={paths.reader(source, seriesId, to.id)}
      title={chapterLabel(to)}
      aria-label={label}
    >
      {text}
    </Link>
  );
}

/** One page image; keeps a placeholder height until loaded so lazy loading stays lazy. */
function PageImage({
  url,
  number,
  eager,
  onLoad,
}: {
  url: string;
  number: number;
  eager: boolean;
  onLoad?: () => void;
}) {
  const [state, setState] = useState<'loading' | 'loaded' | 'failed'>('loading');
  const [attempt, setAttempt] = useState(0);
  if (state === 'failed') {
    return (
      <div className="page-failed" role="alert">
        <p>Page {number} failed to load.</p>
        <button
          type="button"
          className="btn btn-small"
          onClick={(e) => {
            e.stopPropagation();
            setAttempt((a) => a + 1);
            setState('loading');
          }}
        >
          Retry page {number}
        </button>
      </div>
    );
  }
  return (
    <img
      key={attempt}
      className={`page-img ${state === 'loaded' ? 'is-loaded' : ''}`}
      src={url}
      alt={`Page ${number}`}
      loading={eager ? 'eager' : 'lazy'}
      decoding="async"
      onLoad={() => {
        setState('loaded');
        onLoad?.();
      }}
      onError={() => setState('failed')}
    />
  );
}
