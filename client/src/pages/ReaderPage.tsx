import { Link, useParams } from 'react-router-dom';

import { useChapterPages, useMangaInfo } from '../api/manga';
import { ErrorNotice, Loading } from '../components/StatusViews';
import { ReaderView } from '../reader/ReaderView';
import { paths } from '../routes';

/** `/read/:source/:seriesId/:chapterId`: loads the chapter's pages (and the series beside). */
export function ReaderPage() {
  const { source = '', seriesId = '', chapterId = '' } = useParams();
  const pages = useChapterPages(source, chapterId);
  const info = useMangaInfo(source, seriesId);

  if (pages.isPending) return <Loading label="Loading chapter…" />;
  if (pages.isError) {
    return (
      <div className="reader-failed">
        <ErrorNotice title="Could not load the chapter" error={pages.error} onRetry={() => void pages.refetch()} />
        <p>
          <Link to={paths.series(source, seriesId)}>Back to series</Link>
        </p>
      </div>
    );
  }
  return (
    <ReaderView
      key={`${source}:${chapterId}`}
      source={source}
      seriesId={seriesId}
      chapterId={chapterId}
      pages={pages.data.pages}
      manga={info.data ?? null}
    />
  );
}
