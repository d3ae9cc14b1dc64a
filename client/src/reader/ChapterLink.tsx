import { Link } from 'react-router-dom';

import type { Chapter } from '../api/types';
import { chapterLabel } from '../format';
import { paths } from '../routes';

interface ChapterLinkProps {
  to: Chapter | null;
  source: string;
  seriesId: string;
  /** The accessible name, whatever the screen width shows. */
  label: string;
  short: string;
}

/** The previous / next chapter button of the reader bar; disabled when there is none. */
export function ChapterLink({ to, source, seriesId, label, short }: ChapterLinkProps) {
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
    <Link className="btn btn-small" to={paths.reader(source, seriesId, to.id)} title={chapterLabel(to)} aria-label={label}>
      {text}
    </Link>
  );
}
