/**
 * Turns parsed JSON (`unknown`) into the typed shapes of `types.ts`.
 *
 * Required identity fields (ids, task ids, URLs) must be present or the answer is rejected with a
 * `DecodeError`; optional and cosmetic fields fall back to empty values, so a server that adds
 * or omits a descriptive field does not take the UI down.
 */
import {
  JOB_STATES,
  type Chapter,
  type ChapterPage,
  type ChapterPages,
  type DownloadAccepted,
  type FailedChapter,
  type Health,
  type Job,
  type JobState,
  type JobsResponse,
  type MangaInfo,
  type SearchResponse,
  type SearchResult,
  type Source,
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

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function obj(value: unknown, what: string): Obj {
  if (!isObj(value)) throw new DecodeError(`${what} is not an object`);
  return value;
}

function requiredString(o: Obj, key: string, what: string): string {
  const v = o[key];
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number') return String(v);
  throw new DecodeError(`${what}.${key} is missing`);
}

function str(v: unknown, fallback = ''): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return fallback;
}

function strOrNull(v: unknown): string | null {
  if (typeof v === 'string') return v === '' ? null : v;
  if (typeof v === 'number') return String(v);
  return null;
}

function num(v: unknown, fallback = 0): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

function numOrNull(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Distinct non-empty strings of a list. */
function strings(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  return [...new Set(v.filter((x): x is string => typeof x === 'string' && x.trim() !== ''))];
}

/** Drops repeated ids (upstream lists can repeat an entry); the first one wins. */
function uniqueById<T extends { id: string }>(items: T[]): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    if (seen.has(item.id)) return false;
    seen.add(item.id);
    return true;
  });
}

function list<T>(v: unknown, item: (x: unknown, i: number) => T, what: string): T[] {
  if (!Array.isArray(v)) throw new DecodeError(`${what} is not a list`);
  return v.map(item);
}

export function decodeSources(raw: unknown): SourcesResponse {
  const o = obj(raw, 'sources');
  const sources = list(
    o.sources,
    (x, i): Source => {
      const s = obj(x, `sources[${i}]`);
      const name = requiredString(s, 'name', `sources[${i}]`);
      return {
        index: num(s.index, i),
        name,
        title: str(s.title, name) || name,
        ids_in_path: s.ids_in_path === true,
      };
    },
    'sources',
  );
  return { sources, default: str(o.default, sources[0]?.name ?? '') };
}

function decodeSearchResult(x: unknown, i: number): SearchResult {
  const r = obj(x, `results[${i}]`);
  return {
    id: requiredString(r, 'id', `results[${i}]`),
    title: str(r.title) || requiredString(r, 'id', `results[${i}]`),
    image: strOrNull(r.image),
    cover: strOrNull(r.cover),
    description: strOrNull(r.description),
    status: strOrNull(r.status),
    alt_titles: strings(r.alt_titles),
  };
}

export function decodeSearch(raw: unknown): SearchResponse {
  const o = obj(raw, 'search');
  return {
    source: str(o.source),
    query: str(o.query),
    page: num(o.page, 1),
    has_next_page: o.has_next_page === true,
    results: uniqueById(list(o.results, decodeSearchResult, 'results')),
  };
}

function decodeChapter(x: unknown, i: number): Chapter {
  const c = obj(x, `chapters[${i}]`);
  return {
    id: requiredString(c, 'id', `chapters[${i}]`),
    title: str(c.title),
    number: strOrNull(c.number),
    volume: strOrNull(c.volume),
    pages: numOrNull(c.pages),
    released: strOrNull(c.released),
  };
}

export function decodeMangaInfo(raw: unknown): MangaInfo {
  const o = obj(raw, 'info');
  const id = requiredString(o, 'id', 'info');
  return {
    source: str(o.source),
    id,
    title: str(o.title) || id,
    image: strOrNull(o.image),
    cover: strOrNull(o.cover),
    description: strOrNull(o.description),
    status: strOrNull(o.status),
    genres: strings(o.genres),
    authors: strings(o.authors),
    alt_titles: strings(o.alt_titles),
    chapters: Array.isArray(o.chapters) ? uniqueById(o.chapters.map(decodeChapter)) : [],
  };
}

export function decodeChapterPages(raw: unknown): ChapterPages {
  const o = obj(raw, 'read');
  const pages = list(
    o.pages,
    (x, i): ChapterPage => {
      const p = obj(x, `pages[${i}]`);
      return { index: num(p.index, i), url: requiredString(p, 'url', `pages[${i}]`) };
    },
    'pages',
  );
  pages.sort((a, b) => a.index - b.index);
  return { source: str(o.source), chapter_id: str(o.chapter_id), pages };
}

export function decodeDownloadAccepted(raw: unknown): DownloadAccepted {
  const o = obj(raw, 'download');
  return {
    task_id: requiredString(o, 'task_id', 'download'),
    celery_task_id: strOrNull(o.celery_task_id),
    status: str(o.status, 'PENDING'),
    message: str(o.message),
    deduplicated: o.deduplicated === true,
  };
}

function jobState(v: unknown): JobState {
  const s = str(v).toUpperCase();
  if ((JOB_STATES as readonly string[]).includes(s)) return s as JobState;
  // Celery's own vocabulary, should a server pass it through.
  if (s === 'STARTED' || s === 'RETRY') return 'PROGRESS';
  if (s === 'REVOKED') return 'CANCELLED';
  return 'PENDING';
}

function decodeFailed(x: unknown, i: number): FailedChapter {
  if (typeof x === 'string') return { chapter_id: x, title: x, reason: '' };
  const f = obj(x, `failed[${i}]`);
  const chapterId = str(f.chapter_id);
  return { chapter_id: chapterId, title: str(f.title) || chapterId, reason: str(f.reason) };
}

export function decodeJob(raw: unknown): Job {
  const o = obj(raw, 'job');
  const progress = num(o.progress);
  return {
    task_id: requiredString(o, 'task_id', 'job'),
    state: jobState(o.state),
    status: str(o.status),
    progress: Math.min(100, Math.max(0, progress)),
    total_chapters: num(o.total_chapters),
    done_chapters: num(o.done_chapters),
    pages_total: num(o.pages_total),
    pages_done: num(o.pages_done),
    failed: Array.isArray(o.failed) ? o.failed.map(decodeFailed) : [],
    file_name: strOrNull(o.file_name),
    size: numOrNull(o.size),
    source: str(o.source),
    title: str(o.title),
    format: str(o.format),
    created_at: num(o.created_at),
    updated_at: num(o.updated_at),
    finished_at: numOrNull(o.finished_at),
    expires_at: numOrNull(o.expires_at),
    download_url: strOrNull(o.download_url),
    error: strOrNull(o.error),
  };
}

export function decodeJobs(raw: unknown): JobsResponse {
  const o = obj(raw, 'downloads');
  return { jobs: list(o.jobs, (x) => decodeJob(x), 'jobs') };
}

export function decodeHealth(raw: unknown): Health {
  const o = obj(raw, 'health');
  const queues: Record<string, number> = {};
  if (isObj(o.queues)) {
    for (const [k, v] of Object.entries(o.queues)) {
      if (typeof v === 'number') queues[k] = v;
    }
  }
  return {
    status: o.status === 'ok' ? 'ok' : 'degraded',
    redis: str(o.redis),
    workers: numOrNull(o.workers),
    worker_status: decodeWorkerStatus(o.worker_status, o.workers),
    queues,
    consumet: str(o.consumet),
  };
}

export const NO_WORKER_MESSAGE = 'no worker is running: downloads will wait';

/** `worker_status`, or (older servers) the bare `workers` count or `error: …` text. */
function decodeWorkerStatus(raw: unknown, workers: unknown): WorkerStatus {
  if (isObj(raw)) {
    const states: readonly WorkerState[] = ['ok', 'none', 'error'];
    const state = states.find((s) => s === raw.state) ?? 'unknown';
    return { count: num(raw.count), state, message: str(raw.message) };
  }
  if (typeof workers === 'number') {
    return workers > 0
      ? { count: workers, state: 'ok', message: `${workers} running` }
      : { count: 0, state: 'none', message: NO_WORKER_MESSAGE };
  }
  if (typeof workers === 'string') return { count: 0, state: 'error', message: workers };
  return { count: 0, state: 'unknown', message: '' };
}
