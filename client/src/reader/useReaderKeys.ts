import { useEffect, useEffectEvent } from 'react';

function isEditable(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

function isActivatable(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && ['BUTTON', 'A', 'SUMMARY'].includes(target.tagName);
}

interface ReaderKeys {
  /** Space turns the page too (paged mode); in the strip the browser scrolls with it. */
  spaceTurnsPage: boolean;
  onForward: () => void;
  onBack: () => void;
}

/**
 * The reader's keys: → or j forward, ← or k back, space / shift+space forward / back when
 * `spaceTurnsPage`. Keys typed into a field, or with a modifier, are left alone; a handled key
 * is prevented, which also tells the strip not to drop its pinned jump.
 */
export function useReaderKeys({ spaceTurnsPage, onForward, onBack }: ReaderKeys) {
  const onKey = useEffectEvent((event: KeyboardEvent) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isEditable(event.target)) return;
    const key = event.key;
    if (key === 'ArrowRight' || key === 'j') {
      event.preventDefault();
      onForward();
    } else if (key === 'ArrowLeft' || key === 'k') {
      event.preventDefault();
      onBack();
    } else if (key === ' ' && spaceTurnsPage && !isActivatable(event.target)) {
      event.preventDefault();
      if (event.shiftKey) onBack();
      else onForward();
    }
  });

  useEffect(() => {
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
