import { useStoredChoice } from './useStoredChoice';

export type ReaderMode = 'strip' | 'paged';
export const READER_MODE_KEY = 'manhwa.readerMode';
const MODES: readonly ReaderMode[] = ['strip', 'paged'];

/** Long strip (default) or one page at a time, remembered across visits. */
export function useReaderMode() {
  return useStoredChoice<ReaderMode>(READER_MODE_KEY, MODES, 'strip');
}

/** Paged mode: the whole page in the window (height, default) or the window's width filled. */
export type PageFit = 'height' | 'width';
export const PAGE_FIT_KEY = 'manhwa.pageFit';
const FITS: readonly PageFit[] = ['height', 'width'];

export function usePageFit() {
  return useStoredChoice<PageFit>(PAGE_FIT_KEY, FITS, 'height');
}
