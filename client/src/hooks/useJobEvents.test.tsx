import { QueryClientProvider } from '@tanstack/react-query';
import { act, renderHook } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { FakeEventSource } from '../test/eventSource';
import { json, mockFetch } from '../test/fetch';
import { makeJob } from '../test/fixtures';
import { testQueryClient } from '../test/render';
import {
  POLL_INTERVAL_MS,
  initialJobProgress,
  jobProgressReducer,
  latestJob,
  useJobEvents,
  type JobProgressAction,
  type JobProgressState,
} from './useJobEvents';

function run(state: JobProgressState, ...actions: JobProgressAction[]): JobProgressState {
  return actions.reduce(jobProgressReducer, state);
}

describe('jobProgressReducer', () => {
  const start = initialJobProgress(makeJob({ state: 'PENDING', progress: 0, updated_at: 100 }));

  it('starts on the event stream unless the job is already final', () => {
    expect(start).toMatchObject({ transport: 'sse', done: false });
    expect(initialJobProgress(makeJob({ state: 'SUCCESS' }))).toMatchObject({ transport: 'idle', done: true });
  });

  it('applies progress events in order', () => {
    const state = run(
      start,
      { type: 'event', job: makeJob({ state: 'PROGRESS', progress: 10, updated_at: 101 }) },
      { type: 'event', job: makeJob({ state: 'PROGRESS', progress: 60, updated_at: 102, pages_done: 12 }) },
    );
    expect(state.job).toMatchObject({ state: 'PROGRESS', progress: 60, pages_done: 12 });
    expect(state.done).toBe(false);
  });

  it('ignores an event older than the current state', () => {
    const state = run(
      start,
      { type: 'event', job: makeJob({ progress: 60, updated_at: 105 }) },
      { type: 'event', job: makeJob({ progress: 30, updated_at: 103 }) },
    );
    expect(state.job.progress).toBe(60);
  });

  it('applies an event with the same updated_at (servers need not bump it per page)', () => {
    const state = run(
      start,
      { type: 'event', job: makeJob({ progress: 10, updated_at: 100 }) },
      { type: 'event', job: makeJob({ progress: 20, updated_at: 100 }) },
    );
    expect(state.job.progress).toBe(20);
  });

  it('ignores events of another job', () => {
    const state = run(start, { type: 'event', job: makeJob({ task_id: 'other', progress: 90, updated_at: 200 }) });
    expect(state).toBe(start);
  });

  it.each(['SUCCESS', 'FAILURE', 'CANCELLED', 'EXPIRED'] as const)('stops at the final state %s', (final) => {
    const ended = run(start, { type: 'event', job: makeJob({ state: final, progress: 100, updated_at: 110 }) });
    expect(ended).toMatchObject({ done: true, transport: 'idle' });
    expect(ended.job.state).toBe(final);
    const after = run(
      ended,
      { type: 'event', job: makeJob({ state: 'PROGRESS', progress: 50, updated_at: 120 }) },
      { type: 'poll', job: makeJob({ state: 'PROGRESS', updated_at: 130 }) },
      { type: 'stream-failed' },
    );
    expect(after).toBe(ended);
  });

  it('switches to polling when the stream fails and keeps applying polled states', () => {
    const state = run(
      start,
      { type: 'stream-failed' },
      { type: 'poll', job: makeJob({ state: 'PROGRESS', progress: 40, updated_at: 104 }) },
    );
    expect(state.transport).toBe('polling');
    expect(state.job.progress).toBe(40);
  });

  it('latestJob prefers the newer snapshot and a final state on a tie', () => {
    const a = makeJob({ updated_at: 10, state: 'PROGRESS' });
    const b = makeJob({ updated_at: 10, state: 'SUCCESS' });
    expect(latestJob(a, b)).toBe(b);
    expect(latestJob(b, a)).toBe(b);
    expect(latestJob(a, makeJob({ updated_at: 9 }))).toBe(a);
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

  afterEach(() => {
    vi.useRealTimers();
  });

  it('follows the SSE stream and closes it at the final state', () => {
    const { result } = renderHook(() => useJobEvents(makeJob({ updated_at: 1 })), { wrapper });
    const stream = FakeEventSource.for('task-1');
    expect(stream?.url).toBe('/api/download/events/task-1');

    act(() => stream?.emit('progress', makeJob({ progress: 70, updated_at: 2 })));
    expect(result.current.job.progress).toBe(70);
    expect(result.current.transport).toBe('sse');

    act(() => stream?.emit('progress', makeJob({ state: 'SUCCESS', progress: 100, updated_at: 3 })));
    expect(result.current.job.state).toBe('SUCCESS');
    expect(result.current.transport).toBe('idle');
    expect(stream?.closed).toBe(true);
  });

  it('does not open a stream for a finished job', () => {
    renderHook(() => useJobEvents(makeJob({ state: 'FAILURE' })), { wrapper });
    expect(FakeEventSource.instances).toHaveLength(0);
  });

  it('falls back to polling every 1.5 s when the stream fails, until a final state', async () => {
    vi.useFakeTimers();
    const answers = [
      makeJob({ progress: 50, updated_at: 5 }),
      makeJob({ state: 'SUCCESS', progress: 100, updated_at: 6, download_url: '/api/download/file/task-1' }),
    ];
    const { calls } = mockFetch({ 'GET /api/download/status/task-1': () => json(answers.shift() ?? answers[0]) });
    const { result } = renderHook(() => useJobEvents(makeJob({ updated_at: 1 })), { wrapper });

    act(() => FakeEventSource.for('task-1')?.fail());
    expect(result.current.transport).toBe('polling');
    expect(calls).toHaveLength(0);

    await act(() => vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS));
    expect(calls).toHaveLength(1);
    expect(result.current.job.progress).toBe(50);

    await act(() => vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS));
    expect(result.current.job.state).toBe('SUCCESS');

    await act(() => vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS * 4));
    expect(calls.filter((c) => c.url.startsWith('/api/download/status'))).toHaveLength(2);
  });

  it('stops polling when the job is gone', async () => {
    vi.useFakeTimers();
    const { calls } = mockFetch({ 'GET /api/download/status/task-1': () => json({ detail: 'Unknown job' }, 404) });
    renderHook(() => useJobEvents(makeJob({ updated_at: 1 })), { wrapper });
    act(() => FakeEventSource.for('task-1')?.fail());
    await act(() => vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS * 5));
    expect(calls).toHaveLength(1);
  });

  it('keeps polling through network errors', async () => {
    vi.useFakeTimers();
    const { calls } = mockFetch({ 'GET /api/download/status/task-1': () => new Response('bad gateway', { status: 502 }) });
    renderHook(() => useJobEvents(makeJob({ updated_at: 1 })), { wrapper });
    act(() => FakeEventSource.for('task-1')?.fail());
    await act(() => vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS * 3));
    expect(calls).toHaveLength(3);
  });
});
