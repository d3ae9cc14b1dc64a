import { Link } from 'react-router-dom';

import { useJobs } from '../api/downloads';
import { JobCard } from '../components/JobCard';
import { Empty, ErrorNotice, Loading } from '../components/StatusViews';
import { useDocumentTitle } from '../hooks/useDocumentTitle';
import { useNow } from '../hooks/useNow';
import { paths } from '../routes';

export function DownloadsPage() {
  const jobs = useJobs();
  const now = useNow();
  useDocumentTitle('Downloads');

  return (
    <section className="downloads" aria-labelledby="downloads-heading">
      <h1 id="downloads-heading">Downloads</h1>
      {jobs.isPending ? (
        <Loading label="Loading downloads…" />
      ) : jobs.isError && !jobs.data ? (
        <ErrorNotice title="Could not load downloads" error={jobs.error} onRetry={() => void jobs.refetch()} />
      ) : jobs.data.length === 0 ? (
        <Empty>
          No downloads yet. <Link to={paths.search}>Find a series</Link>, pick chapters and download them.
        </Empty>
      ) : (
        <>
          {jobs.isError ? <ErrorNotice title="Could not refresh" error={jobs.error} /> : null}
          <ul className="jobs" aria-label="Download jobs">
            {jobs.data.map((job) => (
              <li key={job.task_id}>
                <JobCard snapshot={job} now={now} />
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
