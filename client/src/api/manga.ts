import { queryOptions, useQuery } from '@tanstack/react-query';

import { request, seg } from './client';
import { decodeChapterPages, decodeMangaInfo } from './decode';
import type { ChapterPages, MangaInfo } from './types';

export async function fetchMangaInfo(source: string, id: string, signal?: AbortSignal): Promise<MangaInfo> {
  return decodeMangaInfo(await request(`/manga/${seg(source)}/info`, { query: { id }, signal }));
}

export const mangaInfoQueryOptions = (source: string, id: string) =>
  queryOptions({
    queryKey: ['manga', source, 'info', id] as const,
    queryFn: ({ signal }) => fetchMangaInfo(source, id, signal),
    staleTime: 5 * 60 * 1000,
  });

export function useMangaInfo(source: string, id: string) {
  return useQuery(mangaInfoQueryOptions(source, id));
}

export async function fetchChapterPages(source: string, chapterId: string, signal?: AbortSignal): Promise<ChapterPages> {
  const raw = await request(`/manga/${seg(source)}/read`, { query: { chapterId }, signal });
  return decodeChapterPages(raw);
}

export const chapterPagesQueryOptions = (source: string, chapterId: string) =>
  queryOptions({
    queryKey: ['manga', source, 'read', chapterId] as const,
    queryFn: ({ signal }) => fetchChapterPages(source, chapterId, signal),
    // Page URLs carry signed tokens that may expire: keep them a while, not forever.
    staleTime: 10 * 60 * 1000,
    refetchOnWindowFocus: false,
  });

export function useChapterPages(source: string, chapterId: string) {
  return useQuery(chapterPagesQueryOptions(source, chapterId));
}
