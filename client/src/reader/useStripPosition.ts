import { useCallback, useEffect, useRef, type RefObject } from 'react';

/** How long a jump to a page keeps that page in place while images above it load. */
export const PIN_MS = 4000;
/** Slack for "the end of the strip is in view" (sub-pixel layouts, browser rounding). */
const END_SLACK_PX = 2;

interface StripPositionOptions {
  /** Strip mode is on: track and restore the position. */
  enabled: boolean;
  total: number;
  /** The page shown now (read when the strip appears, to bring it into view). */
  current: number;
  onCurrent: (index: number) => void;
  /** The strip: its children carry `data-index`. */
  containerRef: RefObject<HTMLElement | null>;
  /** The sticky bar a page is aligned under. */
  barRef: RefObject<HTMLElement | null>;
}

interface Pin {
  index: number;
  until: number;
  /** Pinned at the end of the strip: the space seen below the last page, kept as pages load. */
  endGap: number | null;
}

function isPinned(pin: Pin | null): boolean {
  return pin !== null && Date.now() <= pin.until;
}

function pageElement(container: HTMLElement | null, index: number): HTMLElement | null {
  return container?.querySelector<HTMLElement>(`:scope > [data-index="${index}"]`) ?? null;
}

/** The space between the last page's end and the window's bottom; null while it is below. */
export function endOfStripGap(container: HTMLElement | null, total: number): number | null {
  const last = pageElement(container, total - 1);
  if (!last) return null;
  const gap = window.innerHeight - last.getBoundingClientRect().bottom;
  return gap >= -END_SLACK_PX ? Math.max(0, gap) : null;
}

/**
 * The long strip's reading position. The page crossing a line near the top of the viewport is
 * the current one, except at the end: once the last page's end is in view the current page is
 * the last (a jump to the end of a long strip leaves earlier pages at that line).
 *
 * After a programmatic jump (resume, keys) the target page is "pinned": images above it that
 * finish loading change the layout, so the jump is repeated until the reader takes over (wheel,
 * touch, pointer, a key the reader does not handle) or a few seconds pass. While pinned, scroll
 * tracking is paused. Reaching the end pins the end the same way: the pages there load after
 * the jump and grow, which would otherwise push the end out of view again.
 */
export function useStripPosition({ enabled, total, current, onCurrent, containerRef, barRef }: StripPositionOptions) {
  const pinRef = useRef<Pin | null>(null);

  /** Scrolls so that page `index` starts right under the sticky bar. */
  const alignPage = useCallback(
    (index: number) => {
      const el = pageElement(containerRef.current, index);
      if (!el) return;
      const top = el.getBoundingClientRect().top + window.scrollY - (barRef.current?.offsetHeight ?? 0);
      window.scrollTo({ top: Math.max(0, Math.round(top)) });
    },
    [containerRef, barRef],
  );

  /** Scrolls so that the last page ends `gap` px above the window's bottom. */
  const alignEnd = useCallback(
    (gap: number) => {
      const el = pageElement(containerRef.current, total - 1);
      if (!el) return;
      const top = el.getBoundingClientRect().bottom + window.scrollY - window.innerHeight + gap;
      window.scrollTo({ top: Math.max(0, Math.round(top)) });
    },
    [containerRef, total],
  );

  const scrollToPage = useCallback(
    (index: number) => {
      pinRef.current = { index, until: Date.now() + PIN_MS, endGap: null };
      alignPage(index);
    },
    [alignPage],
  );

  const onPageLoad = useCallback(
    (index: number) => {
      const pin = pinRef.current;
      if (!pin) return;
      if (Date.now() > pin.until) pinRef.current = null;
      else if (pin.endGap !== null) alignEnd(pin.endGap);
      else if (index <= pin.index) alignPage(pin.index);
    },
    [alignPage, alignEnd],
  );

  useEffect(() => {
    const release = (event: Event) => {
      // A key the reader handled (and prevented) has just pinned its own jump.
      if (!event.defaultPrevented) pinRef.current = null;
    };
    const events = ['wheel', 'touchstart', 'touchmove', 'pointerdown', 'keydown'] as const;
    for (const type of events) window.addEventListener(type, release, { passive: true });
    return () => {
      for (const type of events) window.removeEventListener(type, release);
    };
  }, []);

  // Bring the current page into view when the strip appears (resume, mode switch). A passive
  // effect on purpose: it runs after the layout's scroll-to-top on navigation.
  const currentRef = useRef(current);
  useEffect(() => {
    currentRef.current = current;
  }, [current]);
  useEffect(() => {
    if (enabled && currentRef.current > 0) scrollToPage(currentRef.current);
  }, [enabled, scrollToPage]);

  // The end of the strip: checked on scroll, since no page may cross the tracking line there.
  useEffect(() => {
    if (!enabled) return;
    let frame = 0;
    const check = () => {
      frame = 0;
      if (isPinned(pinRef.current)) return;
      const endGap = endOfStripGap(containerRef.current, total);
      if (endGap === null) return;
      onCurrent(total - 1);
      pinRef.current = { index: total - 1, until: Date.now() + PIN_MS, endGap };
    };
    const onScroll = () => {
      if (frame === 0) frame = requestAnimationFrame(check);
    };
    window.addEventListener('scroll', onScroll, { passive: true });
    return () => {
      window.removeEventListener('scroll', onScroll);
      if (frame !== 0) cancelAnimationFrame(frame);
    };
  }, [enabled, total, onCurrent, containerRef]);

  // The page crossing a line near the top of the viewport is the current one.
  useEffect(() => {
    const container = containerRef.current;
    if (!enabled || !container || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (isPinned(pinRef.current)) return;
        if (endOfStripGap(container, total) !== null) {
          onCurrent(total - 1);
          return;
        }
        for (const entry of entries) {
          if (!entry.isIntersecting) continue;
          const index = Number((entry.target as HTMLElement).dataset.index);
          if (Number.isInteger(index)) onCurrent(index);
        }
      },
      { rootMargin: '-40% 0px -59% 0px', threshold: 0 },
    );
    for (const el of container.querySelectorAll(':scope > [data-index]')) observer.observe(el);
    return () => observer.disconnect();
  }, [enabled, total, onCurrent, containerRef]);

  return { scrollToPage, onPageLoad };
}
