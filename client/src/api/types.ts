/**
 * The server's JSON shapes under the names the app uses. Every shape comes from `schema.gen.ts`,
 * generated from the server's OpenAPI document (`make client-types`); only `src/api/` builds these
 * from the wire (`decode.ts`), the rest of the app imports the types.
 *
 * Where the schema is looser than what the server sends, the alias says so and `decode.ts`
 * makes the answer fit: `JobStatus.state` and `Health.status` are plain strings in the schema.
 */
import type { components, operations } from './schema.gen';

type Schemas = components['schemas'];

/**
 * A response model as it arrives. Pydantic writes every field, defaults included, but the
 * schema marks fields that have a default as optional; this makes them required again.
 */
export type Sent<T> = T extends readonly (infer U)[]
  ? Sent<U>[]
  : T extends object
    ? { [K in keyof T]-?: Sent<T[K]> }
    : T;

export type Source = Sent<Schemas['Source']>;
export type SourcesResponse = Sent<Schemas['SourcesOut']>;
export type SearchResult = Sent<Schemas['MangaResult']>;
export type SearchResponse = Sent<Schemas['SearchPage']>;
export type Chapter = Sent<Schemas['Chapter']>;
/** Newest chapter first, as the server sends them. (`headers` is the server's own business.) */
export type MangaInfo = Omit<Sent<Schemas['MangaInfo']>, 'headers'>;
export type ChapterPage = Sent<Schemas['ReaderPage']>;
export type ChapterPages = Sent<Schemas['ReaderPages']>;

type DownloadBody = NonNullable<operations['create_download_api_download_post']['requestBody']>['content']['application/json'];
export type DownloadFormat = NonNullable<DownloadBody['format']>;
/** What the app sends: it always names the format. */
export type DownloadRequest = DownloadBody & { format: DownloadFormat };
export type DownloadAccepted = Sent<Schemas['Enqueued']>;

export const JOB_STATES = ['PENDING', 'PROGRESS', 'SUCCESS', 'FAILURE', 'CANCELLED', 'EXPIRED'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** States after which a job never changes again (except SUCCESS → EXPIRED, seen by refetching). */
export const FINAL_STATES: ReadonlySet<JobState> = new Set(['SUCCESS', 'FAILURE', 'CANCELLED', 'EXPIRED']);

export function isFinalState(state: JobState): boolean {
  return FINAL_STATES.has(state);
}

export type FailedChapter = Sent<Schemas['FailedChapter']>;

/** A job's status; `state` narrowed to the known states, `title` never null (see decode.ts). */
export type Job = Omit<Sent<Schemas['JobStatus']>, 'state' | 'title'> & { state: JobState; title: string };

export interface JobsResponse {
  jobs: Job[];
}

export type HealthStatus = 'ok' | 'degraded';

/** `unknown`: a server that predates `worker_status`. */
export type WorkerState = 'ok' | 'none' | 'error' | 'unknown';

export interface WorkerStatus {
  count: number;
  state: WorkerState;
  /** Said to people as is, e.g. "no worker is running: downloads will wait". */
  message: string;
}

export type Health = Omit<Sent<Schemas['Health']>, 'status' | 'workers' | 'worker_status'> & {
  status: HealthStatus;
  /** null: a server that sent no count. */
  workers: number | null;
  worker_status: WorkerStatus;
};
