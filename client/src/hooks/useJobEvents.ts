import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useReducer } from 'react';

import { ApiError } from '../api/client';
import { downloadsKeys, fetchJob, subscribeJobEvents } from '../api/downloads';
import { isFinalState, type Job } from '../api/types';

export const POLL_INTERVAL_MS = 1500;

/** How the job's state reaches us: its event stream, polling after the stream failed, or nothing. */
export type Transport = 'sse' | 'polling' | 'idle';

export interface JobProgressState {
  job: Job;
  transport: Transport;
  /** A final state was seen: nothing changes the state any more. */
  done: boolean;
}

export type JobProgressAction =
  | { type: 'event'; job: Job }
  | { type: 'poll'; job: Job }
  | { type: 'stream-failed' };

export function initialJobProgress(job: Job): JobProgressState {
  const done = isFinalState(job.state);
  return { job, transport: done ? 'idle' : 'sse', done };
}

/** The more recent of two snapshots of the same job (final beats non-final on a tie). */
export function latestJob(current: Job, candidate: Job): Job {
  if (candidate.task_id !== current.task_id) return current;
  if (candidate.updated_at > current.updated_at) return candidate;
  if (candidate.updated_at < current.updated_at) return current;
  return isFinalState(candidate.state) && !isFinalState(current.state) ? candidate : current;
}

/**
 * Folds progress events and polled snapshots into the job's state. Once a final state
 * (SUCCESS, FAILURE, CANCELLED, EXPIRED) is reached every later action is ignored; events of
 * another job and snapshots older (by `updated_at`) than the current one are ignored too.
 */
export function jobProgressReducer(state: JobProgressState, action: JobProgressAction): JobProgressState {
  if (state.done) return state;
  switch (action.type) {
    case 'event':
    case 'poll': {
      if (action.job.task_id !== state.job.task_id) return state;
      // On a tie the later arrival wins: a server may not bump updated_at on every page.
      if (action.job.updated_at < state.job.updated_at) return state;
      const job = action.job;
      const done = isFinalState(job.state);
      return { job, transport: done ? 'idle' : state.transport, done };
    }
    case 'stream-failed':
      return state.transport === 'polling' ? state : { ...state, transport: 'polling' };
  }
}

/**
 * Live state of a download job: follows its SSE stream while it is active and falls back to
 * polling the status every 1.5 s when the stream fails. `snapshot` is the job as last listed;
 * whichever of it and the live state is newer wins.
 */
export function useJobEvents(snapshot: Job): { job: Job; transport: Transport } {
  const queryClient = useQueryClient();
  const [state, dispatch] = useReducer(jobProgressReducer, snapshot, initialJobProgress);
  const job = latestJob(state.job, snapshot);
  const active = !isFinalState(job.state);
  const taskId = snapshot.task_id;
  const polling = state.transport === 'polling';

  useEffect(() => {
    if (!active) return;
    let stopped = false;
    let closeStream: (() => void) | null = null;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const controller = new AbortController();

    const onFinal = () => {
      void queryClient.invalidateQueries({ queryKey: downloadsKeys.all });
    };

    const poll = () => {
      timer = setTimeout(() => {
        fetchJob(taskId, controller.signal).then(
          (fresh) => {
            if (stopped) return;
            dispatch({ type: 'poll', job: fresh });
            if (isFinalState(fresh.state)) onFinal();
            else poll();
          },
          (error: unknown) => {
            // The job is gone (404/410): nothing left to follow. Otherwise keep trying.
            if (error instanceof ApiError && (error.status === 404 || error.status === 410)) return;
            if (!stopped) poll();
          },
        );
      }, POLL_INTERVAL_MS);
    };

    if (polling || typeof EventSource === 'undefined') {
      poll();
    } else {
      closeStream = subscribeJobEvents(taskId, {
        onJob: (fresh) => {
          dispatch({ type: 'event', job: fresh });
          if (isFinalState(fresh.state)) {
            closeStream?.();
            onFinal();
          }
        },
        onError: () => {
          if (!stopped) dispatch({ type: 'stream-failed' });
        },
      });
    }

    return () => {
      stopped = true;
      closeStream?.();
      if (timer !== null) clearTimeout(timer);
      controller.abort();
    };
  }, [taskId, active, polling, queryClient]);

  return { job, transport: active ? state.transport : 'idle' };
}
