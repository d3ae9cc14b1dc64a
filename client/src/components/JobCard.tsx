import { useId, useState, type MouseEvent, type ReactNode } from 'react';
import { Link } from 'react-router-dom';

import { errorText } from '../api/client';
import { useCancelJob, useRetryJob } from '../api/downloads';
import { upstreamMessage } from '../api/messages';
import { isFinalState, type DownloadAccepted, type Job, type JobState } from '../api/types';
import { formatAgo, formatBytes, formatRelative } from '../format';
import { paths } from '../routes';
import { ProgressBar } from './ProgressBar';

export const STATE_LABELS: Record<JobState, string> = {
  PENDING: 'Queued',
  PROGRESS: 'Downloading',
  SUCCESS: 'Done',
  FAILURE: 'Failed',
  CANCELLED: 'Cancelled',
  EXPIRED: 'Expired',
};

/**
 * What the card shows: a SUCCESS with failed chapters is *partial*, not done; a finished library
 * job is *in the library* (its chapters were copied there, there is no file to download, and it
 * never expires; a record an older server marked EXPIRED is shown the same).
 */
export type JobLook = JobState | 'PARTIAL' | 'LIBRARY';

export function inLibrary(job: Job): boolean {
  return job.destination === 'library' && (job.state === 'SUCCESS' || job.state === 'EXPIRED');
}

export function jobLook(job: Job): JobLook {
  if (job.state === 'SUCCESS' && job.failed.length > 0) return 'PARTIAL';
  return inLibrary(job) ? 'LIBRARY' : job.state;
}

const LOOK_LABELS: Record<JobLook, string> = { ...STATE_LABELS, PARTIAL: 'Partial', LIBRARY: 'In library' };

function statusText(job: Job, look: JobLook): string {
  if (look === 'PARTIAL') return 'Partly done';
  if (look === 'LIBRARY' && job.state === 'EXPIRED') return 'Chapters added to the library';
  return job.status || STATE_LABELS[job.state];
}

export function jobTitle(job: Job): string {
  return job.title.trim() || `Download ${job.task_id}`;
}

function progressText(job: Job, pagesTotal: number): string {
  const parts = [`${Math.round(job.progress)}%`];
  if (job.total_chapters > 0) parts.push(`${job.done_chapters} of ${job.total_chapters} chapters`);
  if (pagesTotal > 0) parts.push(`${job.pages_done} of ${pagesTotal} pages`);
  return parts.join(', ');
}

/** The note after a Retry click, from what the server answered (an equal job may have ended). */
export function retryNote(answer: DownloadAccepted, cancelled: boolean): string {
  if (!answer.deduplicated) return cancelled ? 'Retry queued.' : 'Retry queued for the failed chapters.';
  if (answer.status === 'SUCCESS') return 'These chapters were already retried: the file is in the list.';
  if (answer.status === 'PENDING' || answer.status === 'PROGRESS') return 'A retry is already queued.';
  return 'Retry queued.';
}

/** What a job's buttons need of their mutation (Retry and Cancel take the job's id). */
interface JobMutation {
  isPending: boolean;
  isError: boolean;
  error: unknown;
  mutate: (taskId: string) => void;
}

/** A job's action button, busy while the server answers. */
function JobAction({
  action,
  taskId,
  className,
  children,
}: {
  action: JobMutation;
  taskId: string;
  className: string;
  children: ReactNode;
}) {
  return (
    <button
      type="button"
      className={className}
      disabled={action.isPending}
      aria-busy={action.isPending}
      onClick={() => action.mutate(taskId)}
    >
      {children}
    </button>
  );
}

/** Why a job action failed, announced. */
function ActionFailed({ action, name }: { action: JobMutation; name: string }) {
  return action.isError ? (
    <p className="job-error" role="alert">
      {name} failed: {errorText(action.error)}
    </p>
  ) : null;
}

/** One job; its live state comes from the list's single event stream (see useJobEvents). */
export function JobCard({ job, now }: { job: Job; now: number }) {
  const cancel = useCancelJob();
  const retry = useRetryJob();
  const headingId = useId();
  const [expiredClick, setExpiredClick] = useState(false);
  // Page totals only grow while a job runs: a failed chapter's pages stay counted, undone.
  const [pagesSeen, setPagesSeen] = useState({ taskId: job.task_id, total: job.pages_total });
  if (pagesSeen.taskId !== job.task_id || job.pages_total > pagesSeen.total) {
    setPagesSeen({ taskId: job.task_id, total: job.pages_total });
  }
  const pagesTotal = Math.max(job.pages_total, pagesSeen.taskId === job.task_id ? pagesSeen.total : 0);
  const title = jobTitle(job);
  const look = jobLook(job);
  const active = !isFinalState(job.state);
  const library = inLibrary(job);
  const expired = job.state === 'EXPIRED' && !library;
  const value = job.state === 'SUCCESS' || library ? 100 : job.progress;
  const canRetry =
    (job.failed.length > 0 && (job.state === 'SUCCESS' || job.state === 'FAILURE')) || job.state === 'CANCELLED';

  const onDownload = (event: MouseEvent<HTMLAnchorElement>) => {
    // The list may be older than the file's expiry: a click then would fail silently in the
    // browser's download bar, so say it here instead.
    if (job.expires_at !== null && job.expires_at * 1000 <= Date.now()) {
      event.preventDefault();
      setExpiredClick(true);
    }
  };

  return (
    <article className={`job job-${look.toLowerCase()}`} aria-labelledby={headingId}>
      <div className="job-head">
        <h2 id={headingId} className="job-title">
          <bdi>{title}</bdi>
        </h2>
        <span className={`badge badge-${look.toLowerCase()}`}>{LOOK_LABELS[look]}</span>
      </div>

      <p className="job-meta">
        <span className="job-format">
          {job.format.toUpperCase()}
          {job.destination === 'library' ? ' → library' : ''}
        </span>
        {job.source ? <span>{job.source}</span> : null}
        {job.created_at > 0 ? <span>{formatAgo(job.created_at, now)}</span> : null}
      </p>

      <ProgressBar value={value} label={title} valueText={progressText(job, pagesTotal)} />

      <p className="job-status" aria-live={active ? 'polite' : 'off'}>
        {statusText(job, look)}
        {job.total_chapters > 0 ? (
          <span className="job-counts">
            {' '}
            · {job.done_chapters}/{job.total_chapters} chapters
            {pagesTotal > 0 ? ` · ${job.pages_done}/${pagesTotal} pages` : ''}
          </span>
        ) : null}
      </p>

      {job.error ? <p className="job-error">{upstreamMessage(job.error)}</p> : null}

      {job.failed.length > 0 ? (
        <div className="job-failed">
          <h3>
            {job.failed.length} failed {job.failed.length === 1 ? 'chapter' : 'chapters'}
          </h3>
          <ul aria-label={`Failed chapters of ${title}`}>
            {job.failed.map((f, i) => (
              <li key={`${f.chapter_id}-${i}`}>
                <bdi className="failed-title">{f.title || f.chapter_id}</bdi>
                {f.reason ? <span className="failed-reason">: {upstreamMessage(f.reason)}</span> : null}
              </li>
            ))}
          </ul>
        </div>
      ) : null}

      <div className="job-actions">
        {library ? (
          <Link className="btn btn-primary" to={paths.library}>
            Open the Library
          </Link>
        ) : null}
        {job.state === 'SUCCESS' && job.download_url && !expiredClick ? (
          <>
            <a
              className="btn btn-primary btn-download"
              href={job.download_url}
              download={job.file_name ?? true}
              onClick={onDownload}
            >
              Download{job.file_name ? ' ' : ''}
              {job.file_name ? <bdi>{job.file_name}</bdi> : null}
            </a>
            {job.size !== null ? <span className="job-size">{formatBytes(job.size)}</span> : null}
            {job.expires_at !== null ? (
              <span className="job-expiry">expires {formatRelative(job.expires_at, now)}</span>
            ) : null}
          </>
        ) : null}
        {expired || expiredClick ? (
          <span className="job-expiry" role={expiredClick ? 'alert' : undefined}>
            The file was removed from the server{expiredClick ? ': it expired. Download the chapters again.' : '.'}
          </span>
        ) : null}
        {canRetry ? (
          <JobAction action={retry} taskId={job.task_id} className="btn">
            Retry
          </JobAction>
        ) : null}
        {active ? (
          <JobAction action={cancel} taskId={job.task_id} className="btn btn-danger">
            Cancel
          </JobAction>
        ) : null}
      </div>

      <ActionFailed action={retry} name="Retry" />
      {retry.isSuccess ? (
        <p className="job-note" role="status">
          {retryNote(retry.data, job.state === 'CANCELLED')}
        </p>
      ) : null}
      <ActionFailed action={cancel} name="Cancel" />
    </article>
  );
}
