import { Link } from 'react-router-dom';

import type { Chapter } from '../api/types';
import { chapterLabel } from '../format';
import { paths } from '../routes';

interface ReaderEndProps {
  source: string;
  seriesId: string;
  title: string;
  /** Reached the end of the chapter (always, below a strip). */
  atEnd: boolean;
  /** Offer "Read next" here (paged mode offers it in its own page buttons). */
  offerNext: boolean;
  next: Chapter | null;
  /** The series is known: without a next chapter this is the latest one. */
  seriesKnown: boolean;
}

/** Below the pages: the end of the chapter, the next one to read, all chapters. */
export function ReaderEnd({ source, seriesId, title, atEnd, offerNext, next, seriesKnown }: ReaderEndProps) {
  return (
    <footer className="reader-end">
      {atEnd ? (
        <>
          <p>End of {title}.</p>
          {next && offerNext ? (
            <Link className="btn btn-primary" to={paths.reader(source, seriesId, next.id)}>
              Read next: {chapterLabel(next)}
            </Link>
          ) : !next && seriesKnown ? (
            <p className="hint">This is the latest chapter.</p>
          ) : null}
        </>
      ) : null}
      <p>
        <Link to={paths.series(source, seriesId)}>All chapters</Link>
      </p>
    </footer>
  );
}
