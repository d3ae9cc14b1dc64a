/**
 * The library: followed series, checks and what the library folder holds (server `/api/library`).
 *
 * The shapes come from `schema.gen.ts` (`make client-types`); the decoder checks the fields the
 * Library page relies on and throws an `ApiError` otherwise.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

import { ApiError, request, seg } from './client';
import type { components } from './schema.gen';
import type { Sent } from './types';

type Schemas = components['schemas'];

export type FollowView = Sent<Schemas['FollowView']>;
export type FollowMode = FollowView['mode'];
export type ChapterFailure = FollowView['failures'][number];
export type LibraryEntry = FollowView['latest'][number];
/** What a follow and `POST …/pages` send: the page options as a download's (`split_tall`, `encode`). */
export type PageOptionFields = Partial<Schemas['PageOptionsIn']>;
/** `POST /api/library/follows`: fields with a server default may be left out. */
export type FollowRequest = Pick<Schemas['FollowIn'], 'source' | 'series_id'> &
  Partial<Omit<Schemas['FollowIn'], 'source' | 'series_id'>>;

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

export function useSetPages() {
  return useLibraryMutation(async ({ id, pages }: { id: string; pages: PageOptionFields }) =>
    decodeFollow(await request(`/library/follows/${seg(id)}/pages`, { method: 'POST', json: pages })),
  );
}

export function useCheckNow() {
  return useLibraryMutation(async (id: string) =>
    decodeFollow(await request(`/library/follows/${seg(id)}/check`, { method: 'POST' })),
  );
}
