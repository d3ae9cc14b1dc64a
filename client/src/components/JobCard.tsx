import { useId } from 'react';

import { errorText } from '../api/client';
import { useCancelJob, useRetryJob } from '../api/downloads';
import { isFinalState, type Job, type JobState } from '../api/types';
import { formatBytes, formatRelative } from '../format';
import { ProgressBar } from './ProgressBar';

export const STATE_LABELS: Record<JobState, string> = {
  PENDING: 'Queued',
  PROGRESS: 'Downloading',
  SUCCESS: 'Done',
  FAILURE: 'Failed',
  CANCELLED: 'Cancelled',
  EXPIRED: 'Expired',
};

export function jobTitle(job: Job): string {
  return job.title.trim() || `Download ${job.task_id}`;
}

function progressText(job: Job): string {
  const parts = [`${Math.round(job.progress)}%`];
  if (job.total_chapters > 0) parts.push(`${job.done_chapters} of ${job.total_chapters} chapters`);
  if (job.pages_total > 0) parts.push(`${job.pages_done} of ${job.pages_total} pages`);
  return parts.join(', ');
}

/** One job; its live state comes from the list's single event stream (see useJobEvents). */
export function JobCard({ job, now }: { job: Job; now: number }) {
  const cancel = useCancelJob();
  const retry = useRetryJob();
  const headingId = useId();
  const title = jobTitle(job);
  const active = !isFinalState(job.state);
  const expired = job.state === 'EXPIRED';
  const value = job.state === 'SUCCESS' ? 100 : job.progress;

  return (
    <article className={`job job-${job.state.toLowerCase()}`} aria-labelledby={headingId}>
      <div className="job-head">
        <h2 id={headingId} className="job-title">
          {title}
        </h2>
        <span className={`badge badge-${job.state.toLowerCase()}`}>{STATE_LABELS[job.state]}</span>
      </div>

      <p className="job-meta">
        {job.format ? <span className="job-format">{job.format.toUpperCase()}</span> : null}
        {job.source ? <span>{job.source}</span> : null}
        {job.created_at > 0 ? <span>{formatRelative(job.created_at, now)}</span> : null}
      </p>

      <ProgressBar value={value} label={title} valueText={progressText(job)} />

      <p className="job-status" aria-live={active ? 'polite' : 'off'}>
        {job.status || STATE_LABELS[job.state]}
        {job.total_chapters > 0 ? (
          <span className="job-counts">
            {' '}
            · {job.done_chapters}/{job.total_chapters} chapters
            {job.pages_total > 0 ? ` · ${job.pages_done}/${job.pages_total} pages` : ''}
          </span>
        ) : null}
      </p>

      {job.error ? <p className="job-error">{job.error}</p> : null}

      {job.failed.length > 0 ? (
        <div className="job-failed">
          <h3>
            {job.failed.length} failed {job.failed.length === 1 ? 'chapter' : 'chapters'}
          </h3>
          <ul aria-label={`Failed chapters of ${title}`}>
            {job.failed.map((f, i) => (
              <li key={`${f.chapter_id}-${i}`}>
                <span className="failed-title">{f.title || f.chapter_id}</span>
                {f.reason ? <span className="failed-reason">: {f.reason}</span> : null}
              </li>
            ))}
          </ul>
        </div>
      ) : null}

      <div className="job-actions">
        {job.state === 'SUCCESS' && job.download_url ? (
          <>
            <a className="btn btn-primary" href={job.download_url} download={job.file_name ?? true}>
              Download{job.file_name ? ` ${job.file_name}` : ''}
            </a>
            {job.size !== null ? <span className="job-size">{formatBytes(job.size)}</span> : null}
            {job.expires_at !== null ? (
              <span className="job-expiry">expires {formatRelative(job.expires_at, now)}</span>
            ) : null}
          </>
        ) : null}
        {expired ? <span className="job-expiry">The file was removed from the server.</span> : null}
        {job.failed.length > 0 && (job.state === 'SUCCESS' || job.state === 'FAILURE') ? (
          <button
            type="button"
            className="btn"
            disabled={retry.isPending}
            aria-busy={retry.isPending}
            onClick={() => retry.mutate(job.task_id)}
          >
            Retry
          </button>
        ) : null}
        {active ? (
          <button
            type="button"
            className="btn btn-danger"
            disabled={cancel.isPending}
            aria-busy={cancel.isPending}
            onClick={() => cancel.mutate(job.task_id)}
          >
            Cancel
          </button>
        ) : null}
      </div>

      {retry.isError ? (
        <p className="job-error" role="alert">
          Retry failed: {errorText(retry.error)}
        </p>
      ) : null}
      {retry.isSuccess ? (
        <p className="job-note" role="status">
          {retry.data.deduplicated ? 'A retry is already queued.' : 'Retry queued for the failed chapters.'}
        </p>
      ) : null}
      {cancel.isError ? (
        <p className="job-error" role="alert">
          Cancel failed: {errorText(cancel.error)}
        </p>
      ) : null}
    </article>
  );
}
