/**
 * Shapes of the server's JSON answers (see the API contract in server/). Only `src/api/` builds
 * these from the wire (`decode.ts`); the rest of the app imports the types.
 */

export interface Source {
  index: number;
  name: string;
  title: string;
  ids_in_path: boolean;
}

export interface SourcesResponse {
  sources: Source[];
  default: string;
}

export interface SearchResult {
  id: string;
  title: string;
  image: string | null;
  /** Same-origin proxy URL (`/api/image/<token>`), safe to use as `<img src>`. */
  cover: string | null;
  description: string | null;
  status: string | null;
  alt_titles: string[];
}

export interface SearchResponse {
  source: string;
  query: string;
  page: number;
  has_next_page: boolean;
  results: SearchResult[];
}

export interface Chapter {
  id: string;
  title: string;
  number: string | null;
  volume: string | null;
  pages: number | null;
  released: string | null;
}

export interface MangaInfo {
  source: string;
  id: string;
  title: string;
  image: string | null;
  cover: string | null;
  description: string | null;
  status: string | null;
  genres: string[];
  authors: string[];
  alt_titles: string[];
  /** Newest first, as the server sends them. */
  chapters: Chapter[];
}

export interface ChapterPage {
  index: number;
  url: string;
}

export interface ChapterPages {
  source: string;
  chapter_id: string;
  pages: ChapterPage[];
}

export type DownloadFormat = 'cbz' | 'zip' | 'pdf';

export interface DownloadRequest {
  source: string;
  ids: string[];
  format: DownloadFormat;
  title: string;
  /** The series the chapters belong to: the worker reads chapter numbers and metadata from it. */
  series_id?: string;
  /** Cut pages taller than ratio × width into pieces of about target_height px (absent: off). */
  split_tall?: boolean | { ratio: number; target_height: number };
  /** `original` (absent), `png`, `jpeg:Q` or `webp:Q`. */
  encode?: string;
}

export interface DownloadAccepted {
  task_id: string;
  celery_task_id: string | null;
  status: string;
  message: string;
  deduplicated: boolean;
}

export const JOB_STATES = ['PENDING', 'PROGRESS', 'SUCCESS', 'FAILURE', 'CANCELLED', 'EXPIRED'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** States after which a job never changes again (except SUCCESS → EXPIRED, seen by refetching). */
export const FINAL_STATES: ReadonlySet<JobState> = new Set(['SUCCESS', 'FAILURE', 'CANCELLED', 'EXPIRED']);

export function isFinalState(state: JobState): boolean {
  return FINAL_STATES.has(state);
}

export interface FailedChapter {
  chapter_id: string;
  title: string;
  reason: string;
}

export interface Job {
  task_id: string;
  state: JobState;
  /** Human text from the server, e.g. "Chapter 3/5: page 12/40". */
  status: string;
  /** 0–100. */
  progress: number;
  total_chapters: number;
  done_chapters: number;
  pages_total: number;
  pages_done: number;
  failed: FailedChapter[];
  file_name: string | null;
  size: number | null;
  source: string;
  title: string;
  format: string;
  /** Epoch seconds. */
  created_at: number;
  updated_at: number;
  finished_at: number | null;
  expires_at: number | null;
  download_url: string | null;
  error: string | null;
}

export interface JobsResponse {
  jobs: Job[];
}

export type HealthStatus = 'ok' | 'degraded';

export interface Health {
  status: HealthStatus;
  redis: string;
  workers: number | null;
  queues: Record<string, number>;
  consumet: string;
}
