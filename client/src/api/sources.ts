import { queryOptions, useQuery } from '@tanstack/react-query';

import { request } from './client';
import { decodeSources } from './decode';
import type { SourcesResponse } from './types';

export async function fetchSources(signal?: AbortSignal): Promise<SourcesResponse> {
  return decodeSources(await request('/sources', { signal }));
}

export const sourcesQueryOptions = () =>
  queryOptions({
    queryKey: ['sources'] as const,
    queryFn: ({ signal }) => fetchSources(signal),
    staleTime: 60 * 60 * 1000,
  });

export function useSources() {
  return useQuery(sourcesQueryOptions());
}
