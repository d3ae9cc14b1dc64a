import { useMemo, useState } from 'react';
import { Link, useParams } from 'react-router-dom';

import { errorText } from '../api/client';
import { useStartDownload } from '../api/downloads';
import { useMangaInfo } from '../api/manga';
import type { DownloadFormat, MangaInfo } from '../api/types';
import { ChapterList, isExternal } from '../components/ChapterList';
import { Cover } from '../components/Cover';
import { FollowButton } from '../components/FollowButton';
import { DEFAULT_PAGE_OPTIONS, PageOptionsControl, pageOptionFields } from '../components/PageOptionsControl';
import { Empty, ErrorNotice, Loading } from '../components/StatusViews';
import { WorkerNotice } from '../components/WorkerNotice';
import { useChapterSelection } from '../hooks/useChapterSelection';
import { useDocumentTitle } from '../hooks/useDocumentTitle';
import { browserStorage } from '../hooks/storage';
import { readLastPage } from '../hooks/useLastPage';
import { paths } from '../routes';

const FORMATS: { format: DownloadFormat; label: string }[] = [
  { format: 'cbz', label: 'CBZ' },
  { format: 'zip', label: 'ZIP' },
  { format: 'pdf', label: 'PDF' },
];

export function SeriesPage() {
  const { source = '', id = '' } = useParams();
  const info = useMangaInfo(source, id);
  useDocumentTitle(info.data?.title ?? 'Series');

  if (info.isPending) return <Loading label="Loading series…" />;
  if (info.isError) {
    return (
      <>
        <ErrorNotice title="Could not load the series" error={info.error} onRetry={() => void info.refetch()} />
        <p>
          <Link to={paths.search}>Back to search</Link>
        </p>
      </>
    );
  }
  // Keyed so that moving to another series starts with a fresh selection.
  return <SeriesView key={`${source}:${id}`} source={source} seriesId={id} manga={info.data} />;
}

function SeriesView({ source, seriesId, manga }: { source: string; seriesId: string; manga: MangaInfo }) {
  const [oldestFirst, setOldestFirst] = useState(false);
  const chapters = useMemo(
    () => (oldestFirst ? [...manga.chapters].reverse() : manga.chapters),
    [manga.chapters, oldestFirst],
  );
  const orderedIds = useMemo(() => chapters.filter((c) => !isExternal(c)).map((c) => c.id), [chapters]);
  const selection = useChapterSelection(orderedIds);
  const download = useStartDownload();
  const [pageOptions, setPageOptions] = useState(DEFAULT_PAGE_OPTIONS);
  const [storage] = useState(browserStorage);
  const lastPages = useMemo(() => {
    const map = new Map<string, number>();
    for (const c of manga.chapters) {
      const saved = readLastPage(storage, source, c.id);
      if (saved) map.set(c.id, saved.page);
    }
    return map;
  }, [storage, source, manga.chapters]);

  const startDownload = (format: DownloadFormat) => {
    // Oldest first: the order chapters are read in and stored in the archive.
    const wanted = new Set(selection.selectedIds);
    const ids = [...manga.chapters].reverse().map((c) => c.id).filter((cid) => wanted.has(cid));
    if (ids.length === 0) return;
    download.mutate({ source, ids, format, title: manga.title, series_id: manga.id, ...pageOptionFields(pageOptions) });
  };

  return (
    <article className="series" aria-labelledby="series-title">
      <header className="series-head">
        <Cover src={manga.cover} className="series-cover" />
        <div className="series-info">
          <h1 id="series-title">
            <bdi>{manga.title}</bdi>
          </h1>
          <FollowButton source={source} seriesId={manga.id} />
          {manga.alt_titles.length > 0 ? <p className="series-alt">{manga.alt_titles.slice(0, 3).join(' · ')}</p> : null}
          <dl className="series-facts">
            {manga.status ? (
              <div>
                <dt>Status</dt>
                <dd>{manga.status}</dd>
              </div>
            ) : null}
            {manga.authors.length > 0 ? (
              <div>
                <dt>Authors</dt>
                <dd>{manga.authors.join(', ')}</dd>
              </div>
            ) : null}
            <div>
              <dt>Chapters</dt>
              <dd>{manga.chapters.length}</dd>
            </div>
          </dl>
          {manga.genres.length > 0 ? (
            <ul className="genres" aria-label="Genres">
              {manga.genres.map((g) => (
                <li key={g} className="genre">
                  {g}
                </li>
              ))}
            </ul>
          ) : null}
          {manga.description ? <p className="series-description">{manga.description}</p> : null}
        </div>
      </header>

      <section className="chapters-section" aria-labelledby="chapters-heading">
        <div className="chapters-head">
          <h2 id="chapters-heading">Chapters</h2>
          <button
            type="button"
            className="btn btn-small"
            aria-pressed={oldestFirst}
            onClick={() => setOldestFirst((v) => !v)}
          >
            Oldest first
          </button>
        </div>

        {manga.chapters.length === 0 ? (
          <Empty>This series has no chapters on this source.</Empty>
        ) : (
          <>
            <div className="selection-bar" role="toolbar" aria-label="Selection">
              <span className="selection-count" aria-live="polite">
                {selection.count} selected
              </span>
              <button type="button" className="btn btn-small" onClick={selection.selectAll}>
                Select all
              </button>
              <button type="button" className="btn btn-small" onClick={selection.clear} disabled={selection.count === 0}>
                Clear
              </button>
              <span className="selection-downloads">
                {FORMATS.map(({ format, label }) => (
                  <button
                    key={format}
                    type="button"
                    className={`btn btn-small ${format === 'cbz' ? 'btn-primary' : ''}`}
                    disabled={selection.count === 0 || download.isPending}
                    onClick={() => startDownload(format)}
                  >
                    Download {label}
                  </button>
                ))}
              </span>
            </div>
            <PageOptionsControl value={pageOptions} onChange={setPageOptions} />
            <p className="hint">Tip: shift-click a checkbox to select a range.</p>
            <WorkerNotice />

            {download.isError ? (
              <div className="toast toast-error" role="alert">
                Download not started: {errorText(download.error)}
              </div>
            ) : null}
            {download.isSuccess ? (
              <div className="toast" role="status">
                {download.data.deduplicated
                  ? 'This download is already queued or ready.'
                  : `Download queued (${download.variables.ids.length} ${
                      download.variables.ids.length === 1 ? 'chapter' : 'chapters'
                    }, ${download.variables.format.toUpperCase()}).`}{' '}
                <Link to={paths.downloads}>See progress</Link>
              </div>
            ) : null}

            <ChapterList
              source={source}
              seriesId={seriesId}
              chapters={chapters}
              isSelected={selection.isSelected}
              onToggle={selection.click}
              lastPages={lastPages}
            />
          </>
        )}
      </section>
    </article>
  );
}
