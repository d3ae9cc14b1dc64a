/**
 * Checks parsed JSON (`unknown`) against the generated shapes of `types.ts` before the app uses it.
 *
 * The types come from the server's schema; this guards the UI from an answer that is not what the
 * schema says (another server version, a proxy's page): it checks what the UI would crash on or
 * show wrongly — an object where one is expected, identity fields (ids, task ids, URLs) present,
 * lists that are rendered being lists — and rejects the answer with a `DecodeError` otherwise.
 * It also repairs what an upstream source gets wrong: repeated ids, pages out of order.
 */
import {
  JOB_STATES,
  type ChapterPages,
  type DownloadAccepted,
  type Health,
  type Job,
  type JobState,
  type JobsResponse,
  type MangaInfo,
  type SearchResponse,
  type SourcesResponse,
  type WorkerState,
  type WorkerStatus,
} from './types';

export class DecodeError extends Error {
  constructor(message: string) {
    super(`Unexpected answer from the server: ${message}`);
    this.name = 'DecodeError';
  }
}

type Obj = Record<string, unknown>;

/** What a field must be: `id` a non-empty string, a nested `Shape[]` a list of such objects. */
type Rule = 'id' | 'string' | 'number' | 'list' | Shape[];
interface Shape {
  [field: string]: Rule;
}

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks `value` against `shape`; the generated type is trusted for the rest. */
function check(value: unknown, shape: Shape, what: string): Obj {
  if (!isObj(value)) throw new DecodeError(`${what} is not an object`);
  for (const [field, rule] of Object.entries(shape)) {
    const v = value[field];
    const where = `${what}.${field}`;
    if (rule === 'id') {
      if (typeof v !== 'string' || v === '') throw new DecodeError(`${where} is missing`);
    } else if (rule === 'string' || rule === 'number') {
      if (typeof v !== rule) throw new DecodeError(`${where} is not a ${rule}`);
    } else if (!Array.isArray(v)) {
      throw new DecodeError(`${where} is not a list`);
    } else if (rule !== 'list') {
      const item = rule[0];
      if (item) v.forEach((x, i) => check(x, item, `${where}[${i}]`));
    }
  }
  return value;
}

/** Drops repeated ids (upstream lists can repeat an entry); the first one wins. */
function uniqueById<T extends { id: string }>(items: readonly T[]): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    if (seen.has(item.id)) return false;
    seen.add(item.id);
    return true;
  });
}

/** Distinct non-empty strings. */
function distinct(items: readonly string[]): string[] {
  return [...new Set(items.filter((x) => x.trim() !== ''))];
}

const SOURCES: Shape = { sources: [{ name: 'id' }], default: 'string' };
const SEARCH: Shape = { results: [{ id: 'id', alt_titles: 'list' }] };
const INFO: Shape = { id: 'id', chapters: [{ id: 'id' }], genres: 'list', authors: 'list', alt_titles: 'list' };
const PAGES: Shape = { pages: [{ url: 'id', index: 'number' }] };
const ACCEPTED: Shape = { task_id: 'id' };
const JOB: Shape = { task_id: 'id', failed: 'list' };
const JOBS: Shape = { jobs: [JOB] };
const HEALTH: Shape = {};

export function decodeSources(raw: unknown): SourcesResponse {
  return check(raw, SOURCES, 'sources') as SourcesResponse;
}

export function decodeSearch(raw: unknown): SearchResponse {
  const search = check(raw, SEARCH, 'search') as SearchResponse;
  return { ...search, results: uniqueById(search.results) };
}

export function decodeMangaInfo(raw: unknown): MangaInfo {
  const info = check(raw, INFO, 'info') as MangaInfo;
  return {
    ...info,
    title: info.title || info.id,
    genres: distinct(info.genres),
    authors: distinct(info.authors),
    alt_titles: distinct(info.alt_titles),
    chapters: uniqueById(info.chapters),
  };
}

export function decodeChapterPages(raw: unknown): ChapterPages {
  const read = check(raw, PAGES, 'read') as ChapterPages;
  return { ...read, pages: [...read.pages].sort((a, b) => a.index - b.index) };
}

export function decodeDownloadAccepted(raw: unknown): DownloadAccepted {
  return check(raw, ACCEPTED, 'download') as DownloadAccepted;
}

/** The schema says `state: string`: anything unknown reads as PENDING (Celery's words mapped). */
function jobState(value: unknown): JobState {
  const s = typeof value === 'string' ? value.toUpperCase() : '';
  if ((JOB_STATES as readonly string[]).includes(s)) return s as JobState;
  if (s === 'STARTED' || s === 'RETRY') return 'PROGRESS';
  if (s === 'REVOKED') return 'CANCELLED';
  return 'PENDING';
}

function toJob(o: Obj): Job {
  const job = o as unknown as Omit<Job, 'state' | 'title'> & { state: unknown; title: string | null };
  return {
    ...job,
    state: jobState(job.state),
    title: job.title ?? '',
    progress: Math.min(100, Math.max(0, Number.isFinite(job.progress) ? job.progress : 0)),
  };
}

export function decodeJob(raw: unknown): Job {
  return toJob(check(raw, JOB, 'job'));
}

export function decodeJobs(raw: unknown): JobsResponse {
  const o = check(raw, JOBS, 'downloads');
  return { jobs: (o.jobs as Obj[]).map(toJob) };
}

/** The schema says `status: string`; the dot knows two levels. */
export function decodeHealth(raw: unknown): Health {
  const o = check(raw, HEALTH, 'health');
  return {
    ...(o as Omit<Health, 'status' | 'workers' | 'worker_status'>),
    status: o.status === 'ok' ? 'ok' : 'degraded',
    workers: typeof o.workers === 'number' ? o.workers : null,
    worker_status: decodeWorkerStatus(o.worker_status, o.workers),
  };
}

export const NO_WORKER_MESSAGE = 'no worker is running: downloads will wait';

/** `worker_status`, or (older servers) the bare `workers` count or `error: …` text. */
function decodeWorkerStatus(raw: unknown, workers: unknown): WorkerStatus {
  if (isObj(raw)) {
    const states: readonly WorkerState[] = ['ok', 'none', 'error'];
    const state = states.find((s) => s === raw.state) ?? 'unknown';
    const count = typeof raw.count === 'number' ? raw.count : 0;
    return { count, state, message: typeof raw.message === 'string' ? raw.message : '' };
  }
  if (typeof workers === 'number') {
    return workers > 0
      ? { count: workers, state: 'ok', message: `${workers} running` }
      : { count: 0, state: 'none', message: NO_WORKER_MESSAGE };
  }
  if (typeof workers === 'string') return { count: 0, state: 'error', message: workers };
  return { count: 0, state: 'unknown', message: '' };
}
