import { queryOptions, useQuery } from '@tanstack/react-query';

import { request } from './client';
import { decodeHealth } from './decode';
import type { Health } from './types';

export const HEALTH_POLL_MS = 15_000;

/** A 503 carries the same JSON as a 200 (status "degraded"), so it is an answer, not an error. */
export async function fetchHealth(signal?: AbortSignal): Promise<Health> {
  return decodeHealth(await request('/health', { signal, acceptStatus: [503] }));
}

export const healthQueryOptions = () =>
  queryOptions({
    queryKey: ['health'] as const,
    queryFn: ({ signal }) => fetchHealth(signal),
    refetchInterval: HEALTH_POLL_MS,
    refetchIntervalInBackground: false,
    retry: false,
  });

export function useHealth() {
  return useQuery(healthQueryOptions());
}
