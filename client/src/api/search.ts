import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';

import { request } from './client';
import { decodeSearch } from './decode';
import type { SearchResponse } from './types';

/** The API's limit on `q` (`GET /api/search`, max_length=200): the input holds no more. */
export const SEARCH_MAX_LENGTH = 200;

export interface SearchParams {
  q: string;
  /** Provider name; empty lets the server pick its default. */
  source: string;
  page: number;
}

export async function fetchSearch(params: SearchParams, signal?: AbortSignal): Promise<SearchResponse> {
  const raw = await request('/search', {
    query: { q: params.q, source: params.source, page: params.page },
    signal,
  });
  return decodeSearch(raw);
}

export const searchQueryOptions = (params: SearchParams) =>
  queryOptions({
    queryKey: ['search', params.source, params.q, params.page] as const,
    queryFn: ({ signal }) => fetchSearch(params, signal),
    enabled: params.q.trim() !== '',
    staleTime: 5 * 60 * 1000,
  });

/** Searches while `q` is not blank; keeps the previous page on screen while the next loads. */
export function useSearch(params: SearchParams, enabled = true) {
  return useQuery({
    ...searchQueryOptions(params),
    enabled: enabled && params.q.trim() !== '',
    placeholderData: keepPreviousData,
  });
}
