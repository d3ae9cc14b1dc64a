import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useReducer, useState } from 'react';

import { downloadsKeys, subscribeDownloadsEvents } from '../api/downloads';
import { isFinalState, type Job } from '../api/types';

/** How often the list is refetched when the event stream has failed for good. */
export const POLL_INTERVAL_MS = 1500;

/** How the jobs' state reaches us: the list's event stream, polling the list, or nothing. */
export type Transport = 'sse' | 'polling' | 'idle';

export interface JobsProgressState {
  /** The newest state seen on the stream, by task id. */
  live: ReadonlyMap<string, Job>;
  /** The stream failed for good: the list is polled instead. */
  failed: boolean;
}

export type JobsProgressAction = { type: 'event'; job: Job } | { type: 'stream-failed' };

export const initialJobsProgress: JobsProgressState = { live: new Map(), failed: false };

/** The more recent of two snapshots of the same job (final beats non-final on a tie). */
export function latestJob(current: Job, candidate: Job): Job {
  if (candidate.task_id !== current.task_id) return current;
  if (candidate.updated_at > current.updated_at) return candidate;
  if (candidate.updated_at < current.updated_at) return current;
  return isFinalState(candidate.state) && !isFinalState(current.state) ? candidate : current;
}

/**
 * Folds events of many jobs into one map. An event older (by `updated_at`) than what is known
 * is ignored, and so is anything after a final state (except SUCCESS → EXPIRED); on a tie the
 * later arrival wins, as a server need not bump `updated_at` on every page.
 */
export function jobsProgressReducer(state: JobsProgressState, action: JobsProgressAction): JobsProgressState {
  switch (action.type) {
    case 'event': {
      const known = state.live.get(action.job.task_id);
      if (known) {
        if (action.job.updated_at < known.updated_at) return state;
        if (isFinalState(known.state) && !(known.state === 'SUCCESS' && action.job.state === 'EXPIRED')) return state;
      }
      const live = new Map(state.live);
      live.set(action.job.task_id, action.job);
      return { ...state, live };
    }
    case 'stream-failed':
      return state.failed ? state : { ...state, failed: true };
  }
}

/** The ids a stream should follow: the open one's if it covers every active job, else a new set. */
export function streamIdsFor(current: readonly string[], active: readonly string[]): readonly string[] {
  if (active.length === 0) return [];
  if (active.every((id) => current.includes(id))) return current;
  return [...active].sort();
}

/**
 * Live state of a list of download jobs over ONE event stream (`/api/downloads/events`) for
 * all the active ones, whatever their number. The stream is reopened only when a job it does
 * not cover becomes active; jobs that finish stay on it until the server ends it. When the
 * stream fails for good, the caller polls the list (`transport === 'polling'`). `snapshots`
 * are the jobs as last listed; for each job, whichever of it and the live state is newer wins.
 */
export function useJobEvents(snapshots: readonly Job[]): { jobs: Job[]; transport: Transport } {
  const queryClient = useQueryClient();
  const [state, dispatch] = useReducer(jobsProgressReducer, initialJobsProgress);
  const jobs = useMemo(
    () =>
      snapshots.map((snapshot) => {
        const live = state.live.get(snapshot.task_id);
        return live ? latestJob(live, snapshot) : snapshot;
      }),
    [snapshots, state.live],
  );
  const active = jobs.filter((job) => !isFinalState(job.state)).map((job) => job.task_id);

  // Derived from the previous render's ids (React's "adjust state while rendering" pattern).
  const [streamIds, setStreamIds] = useState<readonly string[]>([]);
  const nextIds = streamIdsFor(streamIds, active);
  if (nextIds !== streamIds && nextIds.join(',') !== streamIds.join(',')) setStreamIds(nextIds);
  const streamKey = streamIds.join(',');
  const useStream = !state.failed && typeof EventSource !== 'undefined';

  useEffect(() => {
    if (!streamKey || !useStream) return;
    let stopped = false;
    const close = subscribeDownloadsEvents(streamKey.split(','), {
      onJob: (job) => {
        if (stopped) return;
        dispatch({ type: 'event', job });
        // A finished job changes the list (file, expiry); a fresh list also picks up new jobs.
        if (isFinalState(job.state)) void queryClient.invalidateQueries({ queryKey: downloadsKeys.all });
      },
      onEnd: () => {
        if (!stopped) void queryClient.invalidateQueries({ queryKey: downloadsKeys.all });
      },
      onError: (closed) => {
        if (stopped) return;
        if (closed) dispatch({ type: 'stream-failed' });
        // While EventSource reconnects, one fresh list keeps the cards honest.
        else void queryClient.invalidateQueries({ queryKey: downloadsKeys.all });
      },
    });
    return () => {
      stopped = true;
      close();
    };
  }, [streamKey, useStream, queryClient]);

  const transport: Transport = active.length === 0 ? 'idle' : useStream ? 'sse' : 'polling';
  return { jobs, transport };
}
