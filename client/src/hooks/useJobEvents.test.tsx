import { QueryClientProvider } from '@tanstack/react-query';
import { act, renderHook } from '@testing-library/react';
import type { ReactNode } from 'react';
import { beforeEach, describe, expect, it } from 'vitest';

import type { Job } from '../api/types';
import { FakeEventSource } from '../test/eventSource';
import { makeJob } from '../test/fixtures';
import { testQueryClient } from '../test/render';
import {
  initialJobsProgress,
  jobsProgressReducer,
  latestJob,
  streamIdsFor,
  useJobEvents,
  type JobsProgressAction,
  type JobsProgressState,
} from './useJobEvents';

function run(state: JobsProgressState, ...actions: JobsProgressAction[]): JobsProgressState {
  return actions.reduce(jobsProgressReducer, state);
}

describe('jobsProgressReducer', () => {
  it('keeps the newest state of each job', () => {
    const state = run(
      initialJobsProgress,
      { type: 'event', job: makeJob({ task_id: 'a', progress: 10, updated_at: 101 }) },
      { type: 'event', job: makeJob({ task_id: 'b', progress: 30, updated_at: 101 }) },
      { type: 'event', job: makeJob({ task_id: 'a', progress: 60, updated_at: 102 }) },
      { type: 'event', job: makeJob({ task_id: 'a', progress: 20, updated_at: 100 }) },
    );
    expect(state.live.get('a')?.progress).toBe(60);
    expect(state.live.get('b')?.progress).toBe(30);
  });

  it('applies an event with the same updated_at (servers need not bump it per page)', () => {
    const state = run(
      initialJobsProgress,
      { type: 'event', job: makeJob({ progress: 10, updated_at: 100 }) },
      { type: 'event', job: makeJob({ progress: 20, updated_at: 100 }) },
    );
    expect(state.live.get('task-1')?.progress).toBe(20);
  });

  it.each(['SUCCESS', 'FAILURE', 'CANCELLED'] as const)('stops at the final state %s', (final) => {
    const ended = run(initialJobsProgress, { type: 'event', job: makeJob({ state: final, updated_at: 110 }) });
    const after = run(ended, { type: 'event', job: makeJob({ state: 'PROGRESS', updated_at: 120 }) });
    expect(after).toBe(ended);
  });

  it('lets a finished file expire', () => {
    const state = run(
      initialJobsProgress,
      { type: 'event', job: makeJob({ state: 'SUCCESS', updated_at: 110 }) },
      { type: 'event', job: makeJob({ state: 'EXPIRED', updated_at: 120 }) },
    );
    expect(state.live.get('task-1')?.state).toBe('EXPIRED');
  });

  it('latestJob prefers the newer snapshot and a final state on a tie', () => {
    const a = makeJob({ updated_at: 10, state: 'PROGRESS' });
    const b = makeJob({ updated_at: 10, state: 'SUCCESS' });
    expect(latestJob(a, b)).toBe(b);
    expect(latestJob(b, a)).toBe(b);
    expect(latestJob(a, makeJob({ updated_at: 9 }))).toBe(a);
  });

  it('reopens the stream only for a job it does not cover', () => {
    const open = ['a', 'b', 'c'];
    expect(streamIdsFor(open, ['b', 'c'])).toBe(open);
    expect(streamIdsFor(open, ['c', 'd'])).toEqual(['c', 'd']);
    expect(streamIdsFor(open, [])).toEqual([]);
  });
});

describe('useJobEvents', () => {
  const queryClient = testQueryClient();
  const wrapper = ({ children }: { children: ReactNode }) => (
    <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>
  );

  beforeEach(() => {
    FakeEventSource.install();
  });

  it('follows thirty active jobs over one stream and none for finished ones', () => {
    const jobs = Array.from({ length: 30 }, (_, i) => makeJob({ task_id: `job-${String(i).padStart(2, '0')}`, updated_at: 1 }));
    const finished = makeJob({ task_id: 'done', state: 'SUCCESS', updated_at: 1 });
    const { result } = renderHook(() => useJobEvents([...jobs, finished]), { wrapper });

    expect(FakeEventSource.instances).toHaveLength(1);
    const stream = FakeEventSource.list();
    expect(stream?.ids()).toEqual(jobs.map((j) => j.task_id));
    expect(result.current.transport).toBe('sse');

    act(() => stream?.emit('progress', makeJob({ task_id: 'job-07', progress: 70, updated_at: 2 })));
    act(() => stream?.emit('progress', makeJob({ task_id: 'job-12', state: 'CANCELLED', updated_at: 2 })));
    expect(result.current.jobs.find((j) => j.task_id === 'job-07')?.progress).toBe(70);
    expect(result.current.jobs.find((j) => j.task_id === 'job-12')?.state).toBe('CANCELLED');
    expect(FakeEventSource.instances).toHaveLength(1);
  });

  it('does not open a stream when every job is final, and closes it at the end event', () => {
    const { rerender } = renderHook(({ jobs }: { jobs: Job[] }) => useJobEvents(jobs), {
      wrapper,
      initialProps: { jobs: [makeJob({ state: 'FAILURE' })] },
    });
    expect(FakeEventSource.instances).toHaveLength(0);

    rerender({ jobs: [makeJob({ task_id: 'new-one', state: 'PENDING', updated_at: 5 })] });
    const stream = FakeEventSource.list();
    expect(stream?.ids()).toEqual(['new-one']);
    act(() => stream?.emit('end', { task_ids: ['new-one'] }));
    expect(stream?.closed).toBe(true);
  });

  it('reopens with the new set when a new job becomes active', () => {
    const a = makeJob({ task_id: 'aaaa', updated_at: 1 });
    const b = makeJob({ task_id: 'bbbb', updated_at: 1 });
    const { rerender } = renderHook(({ jobs }: { jobs: Job[] }) => useJobEvents(jobs), {
      wrapper,
      initialProps: { jobs: [a] },
    });
    const first = FakeEventSource.list();
    rerender({ jobs: [b, a] });
    expect(first?.closed).toBe(true);
    expect(FakeEventSource.list()?.ids()).toEqual(['aaaa', 'bbbb']);
  });

  it('lets EventSource reconnect by itself, and switches to polling when it gives up', () => {
    const { result } = renderHook(() => useJobEvents([makeJob({ updated_at: 1 })]), { wrapper });
    const stream = FakeEventSource.list();
    act(() => stream?.fail(true));
    expect(stream?.closed).toBe(false);
    expect(result.current.transport).toBe('sse');

    act(() => stream?.fail());
    expect(result.current.transport).toBe('polling');
    expect(FakeEventSource.list()).toBeUndefined();
  });
});
