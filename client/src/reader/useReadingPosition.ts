import { useEffect, useState } from 'react';

import { resumePage, useLastPage } from '../hooks/useLastPage';

/**
 * The page being read in a chapter of `total` pages: starts at the saved page (`resumedAt`,
 * null when starting at the top) and saves every change, so a reload resumes there.
 */
export function useReadingPosition(source: string, chapterId: string, total: number) {
  const { saved, save } = useLastPage(source, chapterId);
  const [resumedAt] = useState(() => resumePage(saved, total));
  const [current, setCurrent] = useState(resumedAt ?? 0);

  useEffect(() => {
    save(current, total);
  }, [save, current, total]);

  return { current, setCurrent, resumedAt };
}

/** A notice shown while `shown` is first true, hidden after `ms` or when dismissed. */
export function useTimedNotice(shown: boolean, ms: number): [boolean, () => void] {
  const [visible, setVisible] = useState(shown);
  useEffect(() => {
    if (!visible) return;
    const timer = setTimeout(() => setVisible(false), ms);
    return () => clearTimeout(timer);
  }, [visible, ms]);
  return [visible, () => setVisible(false)];
}
