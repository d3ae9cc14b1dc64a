import { useMemo, type ChangeEvent } from 'react';
import { Link } from 'react-router-dom';

import type { Chapter } from '../api/types';
import { chapterLabel, formatReleased, uploadsByNumber } from '../format';
import { paths } from '../routes';

export interface ChapterListProps {
  source: string;
  seriesId: string;
  /** In display order. */
  chapters: readonly Chapter[];
  isSelected: (id: string) => boolean;
  /** `shiftKey` extends the selection from the last clicked chapter. */
  onToggle: (id: string, shiftKey: boolean) => void;
  /** Chapter id → last page read (0-based), for a "page n" hint. */
  lastPages?: ReadonlyMap<string, number>;
}

/**
 * MangaDex lists chapters hosted at the publisher with 0 pages: there is nothing to read or
 * download here, so they are shown as such, with no checkbox and no Read link.
 */
export function isExternal(chapter: Chapter): boolean {
  return chapter.pages === 0;
}

/** React reports a checkbox change from its click event, so the modifier keys are there. */
function shiftOf(event: ChangeEvent<HTMLInputElement>): boolean {
  const native = event.nativeEvent;
  return 'shiftKey' in native && native.shiftKey === true;
}

export function ChapterList({ source, seriesId, chapters, isSelected, onToggle, lastPages }: ChapterListProps) {
  const uploads = useMemo(() => uploadsByNumber(chapters), [chapters]);
  return (
    <ol className="chapters" aria-label="Chapters">
      {chapters.map((chapter) => {
        const upload = uploads.get(chapter.id);
        // Two uploads of one number must not share a name: say which upload this is.
        const label = chapterLabel(chapter) + (upload ? ` (upload ${upload.index} of ${upload.of})` : '');
        const selected = isSelected(chapter.id);
        const lastPage = lastPages?.get(chapter.id);
        if (isExternal(chapter)) {
          return (
            <li key={chapter.id} className="chapter is-external">
              <span className="chapter-check" aria-hidden="true" />
              <div className="chapter-text">
                <span className="chapter-title">{label}</span>
                <span className="chapter-meta">
                  {chapter.volume ? <span>Vol. {chapter.volume}</span> : null}
                  <span>external — read at the publisher</span>
                </span>
              </div>
            </li>
          );
        }
        return (
          <li key={chapter.id} className={`chapter ${selected ? 'is-selected' : ''}`}>
            <input
              type="checkbox"
              className="chapter-check"
              aria-label={`Select ${label}`}
              checked={selected}
              onChange={(e) => onToggle(chapter.id, shiftOf(e))}
            />
            <div className="chapter-text">
              <bdi className="chapter-title">{chapterLabel(chapter)}</bdi>
              <span className="chapter-meta">
                {upload ? (
                  <span className="chapter-upload">
                    upload {upload.index} of {upload.of}
                  </span>
                ) : null}
                {chapter.volume ? <span>Vol. {chapter.volume}</span> : null}
                {chapter.pages !== null ? <span>{chapter.pages} pages</span> : null}
                {chapter.released ? <span>{formatReleased(chapter.released)}</span> : null}
                {lastPage !== undefined ? <span className="chapter-progress">read to page {lastPage + 1}</span> : null}
              </span>
            </div>
            <Link className="btn btn-small" to={paths.reader(source, seriesId, chapter.id)} aria-label={`Read ${label}`}>
              Read
            </Link>
          </li>
        );
      })}
    </ol>
  );
}
