import { useState } from 'react';
import { Link } from 'react-router-dom';

import { JOBS_POLL_MS, useJobs } from '../api/downloads';
import type { Job } from '../api/types';
import { JobCard } from '../components/JobCard';
import { Empty, ErrorNotice, Loading } from '../components/StatusViews';
import { useDocumentTitle } from '../hooks/useDocumentTitle';
import { POLL_INTERVAL_MS, useJobEvents } from '../hooks/useJobEvents';
import { useNow } from '../hooks/useNow';
import { paths } from '../routes';

const NO_JOBS: Job[] = [];

export function DownloadsPage() {
  const [fastPoll, setFastPoll] = useState(false);
  const jobs = useJobs(undefined, fastPoll ? POLL_INTERVAL_MS : JOBS_POLL_MS);
  const { jobs: live, transport } = useJobEvents(jobs.data ?? NO_JOBS);
  if ((transport === 'polling') !== fastPoll) setFastPoll(transport === 'polling');
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
            {live.map((job) => (
              <li key={job.task_id}>
                <JobCard job={job} now={now} />
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
