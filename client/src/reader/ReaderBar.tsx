import type { RefObject } from 'react';
import { Link } from 'react-router-dom';

import type { Chapter } from '../api/types';
import { ProgressBar } from '../components/ProgressBar';
import type { PageFit, ReaderMode } from '../hooks/useReaderMode';
import { paths } from '../routes';
import { ChapterLink } from './ChapterLink';

interface ReaderBarProps {
  barRef: RefObject<HTMLDivElement | null>;
  source: string;
  seriesId: string;
  seriesTitle: string;
  title: string;
  /** 1-based. */
  pageNumber: number;
  total: number;
  mode: ReaderMode;
  onMode: (mode: ReaderMode) => void;
  fit: PageFit;
  onFit: (fit: PageFit) => void;
  previous: Chapter | null;
  next: Chapter | null;
}

function Choice<T extends string>({ value, current, onChoose, label }: { value: T; current: T; onChoose: (v: T) => void; label: string }) {
  return (
    <button type="button" aria-pressed={current === value} onClick={() => onChoose(value)}>
      {label}
    </button>
  );
}

/** The sticky bar: series, chapter, page count, reading mode (and fit), chapter links, progress. */
export function ReaderBar(props: ReaderBarProps) {
  const { barRef, source, seriesId, seriesTitle, title, pageNumber, total, mode, onMode, fit, onFit } = props;
  return (
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
        <div className="reader-choices">
          <div className="segmented" role="group" aria-label="Reading mode">
            <Choice value="strip" current={mode} onChoose={onMode} label="Long strip" />
            <Choice value="paged" current={mode} onChoose={onMode} label="Paged" />
          </div>
          {mode === 'paged' ? (
            <div className="segmented" role="group" aria-label="Page fit">
              <Choice value="height" current={fit} onChoose={onFit} label="Fit height" />
              <Choice value="width" current={fit} onChoose={onFit} label="Fit width" />
            </div>
          ) : null}
        </div>
        <nav className="chapter-nav" aria-label="Chapters">
          <ChapterLink to={props.previous} source={source} seriesId={seriesId} label="Previous chapter" short="‹ Prev" />
          <ChapterLink to={props.next} source={source} seriesId={seriesId} label="Next chapter" short="Next ›" />
        </nav>
      </div>
      <ProgressBar
        className="reader-progress"
        value={total > 0 ? (pageNumber / total) * 100 : 0}
        label="Reading progress"
        valueText={`Page ${pageNumber} of ${total}`}
      />
    </div>
  );
}
