import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

import { apiUrl, request, seg } from './client';
import { decodeDownloadAccepted, decodeJob, decodeJobs } from './decode';
import type { DownloadAccepted, DownloadRequest, Job } from './types';

export const JOBS_LIMIT = 50;
export const JOBS_POLL_MS = 10_000;

export const downloadsKeys = {
  all: ['downloads'] as const,
  list: (limit: number) => ['downloads', 'list', limit] as const,
  job: (taskId: string) => ['downloads', 'job', taskId] as const,
};

export async function fetchJobs(limit = JOBS_LIMIT, signal?: AbortSignal): Promise<Job[]> {
  return decodeJobs(await request('/downloads', { query: { limit }, signal })).jobs;
}

export const jobsQueryOptions = (limit = JOBS_LIMIT, pollMs = JOBS_POLL_MS) =>
  queryOptions({
    queryKey: downloadsKeys.list(limit),
    queryFn: ({ signal }) => fetchJobs(limit, signal),
    // Live progress comes from the list's event stream; this picks up new jobs and expiries
    // (and carries progress itself, faster, when the stream has failed).
    refetchInterval: pollMs,
  });

export function useJobs(limit = JOBS_LIMIT, pollMs = JOBS_POLL_MS) {
  return useQuery(jobsQueryOptions(limit, pollMs));
}

export async function fetchJob(taskId: string, signal?: AbortSignal): Promise<Job> {
  return decodeJob(await request(`/download/status/${seg(taskId)}`, { signal }));
}

export async function startDownload(body: DownloadRequest): Promise<DownloadAccepted> {
  return decodeDownloadAccepted(await request('/download', { method: 'POST', json: body }));
}

/** Cancels a running job; for a finished one deletes its file. */
export async function cancelJob(taskId: string): Promise<Job> {
  return decodeJob(await request(`/download/${seg(taskId)}`, { method: 'DELETE' }));
}

/** Starts a new job for the failed chapters of `taskId` (409 when none failed). */
export async function retryJob(taskId: string): Promise<DownloadAccepted> {
  return decodeDownloadAccepted(await request(`/download/${seg(taskId)}/retry`, { method: 'POST' }));
}

export function useStartDownload() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: startDownload,
    onSettled: () => queryClient.invalidateQueries({ queryKey: downloadsKeys.all }),
  });
}

export function useCancelJob() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: cancelJob,
    onSettled: () => queryClient.invalidateQueries({ queryKey: downloadsKeys.all }),
  });
}

export function useRetryJob() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: retryJob,
    onSettled: () => queryClient.invalidateQueries({ queryKey: downloadsKeys.all }),
  });
}

/** The one stream for many jobs (`GET /api/downloads/events?ids=`). */
export function downloadsEventsUrl(taskIds: readonly string[]): string {
  return apiUrl('/downloads/events', { ids: taskIds.join(',') });
}

export interface DownloadsEventHandlers {
  /** A decoded `progress` event of one of the jobs. */
  onJob: (job: Job) => void;
  /** Every job of the stream is final (`event: end`); the stream is already closed. */
  onEnd: () => void;
  /**
   * The connection dropped. `closed`: the browser gave up (the server refused the stream);
   * otherwise EventSource reconnects by itself, resuming with `Last-Event-ID`.
   */
  onError: (closed: boolean) => void;
}

/**
 * Follows many jobs over ONE Server-Sent Events connection. Browsers allow six connections
 * per host over HTTP/1.1: one stream per job left none for Cancel or the health check.
 * Returns a function that closes the stream.
 */
export function subscribeDownloadsEvents(taskIds: readonly string[], handlers: DownloadsEventHandlers): () => void {
  const source = new EventSource(downloadsEventsUrl(taskIds));
  let closed = false;
  const close = () => {
    closed = true;
    source.close();
  };
  source.addEventListener('progress', (event: MessageEvent<unknown>) => {
    if (closed || typeof event.data !== 'string') return;
    let job: Job;
    try {
      job = decodeJob(JSON.parse(event.data) as unknown);
    } catch {
      return; // a malformed event is skipped; the next one (or the list) brings the state
    }
    handlers.onJob(job);
  });
  source.addEventListener('end', () => {
    if (closed) return;
    close(); // otherwise EventSource would reconnect to a stream that has nothing left to say
    handlers.onEnd();
  });
  source.addEventListener('error', () => {
    if (closed) return;
    const gaveUp = source.readyState === EventSource.CLOSED;
    if (gaveUp) close();
    handlers.onError(gaveUp);
  });
  return close;
}
