/**
 * The library: followed series, checks and what the library folder holds (server `/api/library`).
 *
 * Types live here rather than in `types.ts` (which is being replaced by generated types); the
 * decoder checks the fields the Library page relies on and throws `DecodeError`-like errors
 * through `ApiError` otherwise.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

import { ApiError, request, seg } from './client';

export type FollowMode = 'new' | 'from';

export interface ChapterFailure {
  chapter_id: string;
  title: string;
  number: string | null;
  reason: string;
  attempts: number;
  next_try: number;
}

export interface LibraryEntry {
  chapter_id: string;
  number: string | null;
  volume: string | null;
  title: string;
  file: string;
  pages: number;
  size: number;
  added_at: number;
}

export interface FollowView {
  id: string;
  source: string;
  series_id: string;
  title: string;
  mode: FollowMode;
  from_number: number | null;
  paused: boolean;
  cover_url: string | null;
  chapters_in_library: number;
  new_chapters: number;
  last_check: number | null;
  next_check: number | null;
  last_error: string | null;
  failures: ChapterFailure[];
  latest: LibraryEntry[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function decodeFollow(value: unknown): FollowView {
  if (
    !isRecord(value) ||
    typeof value.id !== 'string' ||
    typeof value.title !== 'string' ||
    typeof value.paused !== 'boolean' ||
    typeof value.chapters_in_library !== 'number' ||
    !Array.isArray(value.failures) ||
    !Array.isArray(value.latest)
  ) {
    throw new ApiError(200, 'The server sent an unexpected library answer');
  }
  return value as unknown as FollowView;
}

export function decodeFollows(value: unknown): FollowView[] {
  if (!isRecord(value) || !Array.isArray(value.follows)) {
    throw new ApiError(200, 'The server sent an unexpected library answer');
  }
  return value.follows.map(decodeFollow);
}

export const libraryKeys = {
  all: ['library'] as const,
  list: ['library', 'list'] as const,
  follow: (source: string, seriesId: string) => ['library', 'follow', source, seriesId] as const,
};

export const LIBRARY_POLL_MS = 5_000;

export function useLibrary() {
  return useQuery({
    queryKey: libraryKeys.list,
    queryFn: async ({ signal }) => decodeFollows(await request('/library', { signal })),
    refetchInterval: LIBRARY_POLL_MS,
  });
}

/** The follow of a series, or null when it is not followed. */
export function useFollowOf(source: string, seriesId: string) {
  return useQuery({
    queryKey: libraryKeys.follow(source, seriesId),
    queryFn: async ({ signal }) => {
      const answer = await request('/library/follow', { query: { source, series_id: seriesId }, signal });
      if (!isRecord(answer) || !('follow' in answer)) {
        throw new ApiError(200, 'The server sent an unexpected library answer');
      }
      return answer.follow === null ? null : decodeFollow(answer.follow);
    },
  });
}

export interface FollowRequest {
  source: string;
  series_id: string;
  mode: FollowMode;
  from_number?: number;
}

function useLibraryMutation<T>(fn: (arg: T) => Promise<unknown>) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSettled: () => queryClient.invalidateQueries({ queryKey: libraryKeys.all }),
  });
}

export function useFollow() {
  return useLibraryMutation(async (body: FollowRequest) =>
    decodeFollow(await request('/library/follows', { method: 'POST', json: body })),
  );
}

export function useUnfollow() {
  return useLibraryMutation(async (id: string) => request(`/library/follows/${seg(id)}`, { method: 'DELETE' }));
}

export function usePause() {
  return useLibraryMutation(async ({ id, paused }: { id: string; paused: boolean }) =>
    decodeFollow(await request(`/library/follows/${seg(id)}/pause`, { method: 'POST', json: { paused } })),
  );
}

export function useCheckNow() {
  return useLibraryMutation(async (id: string) =>
    decodeFollow(await request(`/library/follows/${seg(id)}/check`, { method: 'POST' })),
  );
}
