import { useCallback, useState } from 'react';

import { browserStorage } from './storage';

export type ReaderMode = 'strip' | 'paged';

export const READER_MODE_KEY = 'manhwa.readerMode';

export function readReaderMode(storage: Storage | null): ReaderMode {
  return storage?.getItem(READER_MODE_KEY) === 'paged' ? 'paged' : 'strip';
}

/** Long strip (default) or one page at a time, remembered across visits. */
export function useReaderMode(): [ReaderMode, (mode: ReaderMode) => void] {
  const [mode, setModeState] = useState<ReaderMode>(() => readReaderMode(browserStorage()));
  const setMode = useCallback((next: ReaderMode) => {
    setModeState(next);
    try {
      browserStorage()?.setItem(READER_MODE_KEY, next);
    } catch {
      // not remembered; the choice still applies to this visit
    }
  }, []);
  return [mode, setMode];
}
