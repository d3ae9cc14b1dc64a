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

export const jobsQueryOptions = (limit = JOBS_LIMIT) =>
  queryOptions({
    queryKey: downloadsKeys.list(limit),
    queryFn: ({ signal }) => fetchJobs(limit, signal),
    // Live progress comes from each job's event stream; this picks up new jobs and expiries.
    refetchInterval: JOBS_POLL_MS,
  });

export function useJobs(limit = JOBS_LIMIT) {
  return useQuery(jobsQueryOptions(limit));
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

export function jobEventsUrl(taskId: string): string {
  return apiUrl(`/download/events/${seg(taskId)}`);
}

export interface JobEventHandlers {
  /** A decoded `progress` event. */
  onJob: (job: Job) => void;
  /** The stream failed or ended early; it is already closed when this runs. */
  onError: () => void;
}

/**
 * Subscribes to a job's Server-Sent Events (`event: progress`, `data: <Job JSON>`).
 * Returns a function that closes the stream. Throws if `EventSource` is unavailable.
 */
export function subscribeJobEvents(taskId: string, handlers: JobEventHandlers): () => void {
  const source = new EventSource(jobEventsUrl(taskId));
  let closed = false;
  const close = () => {
    closed = true;
    source.close();
  };
  const onMessage = (event: MessageEvent<unknown>) => {
    if (closed || typeof event.data !== 'string') return;
    let job: Job;
    try {
      job = decodeJob(JSON.parse(event.data) as unknown);
    } catch {
      return; // a malformed event is skipped; the next one (or polling) brings the state
    }
    handlers.onJob(job);
  };
  source.addEventListener('progress', onMessage);
  // Servers that omit the `event:` line send plain messages.
  source.addEventListener('message', onMessage);
  source.addEventListener('error', () => {
    if (closed) return;
    // EventSource would reconnect by itself; polling is the documented fallback instead.
    close();
    handlers.onError();
  });
  return close;
}
