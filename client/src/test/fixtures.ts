import type { Chapter, Job, MangaInfo } from '../api/types';

export function makeJob(overrides: Partial<Job> = {}): Job {
  return {
    task_id: 'task-1',
    state: 'PROGRESS',
    status: 'Downloading chapter 1 of 2',
    progress: 25,
    total_chapters: 2,
    done_chapters: 0,
    pages_total: 20,
    pages_done: 5,
    failed: [],
    file_name: null,
    size: null,
    source: 'mangadex',
    title: 'Solo Leveling',
    format: 'cbz',
    destination: 'downloads',
    split_tall: null,
    encode: 'original',
    layout: 'auto',
    series_id: null,
    chapter_ids: [],
    celery_task_id: null,
    created_at: 1_700_000_000,
    updated_at: 1_700_000_010,
    finished_at: null,
    expires_at: null,
    download_url: null,
    error: null,
    ...overrides,
  };
}

export function makeChapters(count: number): Chapter[] {
  // Newest first, as the server sends them.
  return Array.from({ length: count }, (_, i) => {
    const n = count - i;
    return { id: `ch-${n}`, title: `Chapter ${n}`, number: String(n), volume: null, pages: 10, released: null };
  });
}

export function makeManga(overrides: Partial<MangaInfo> = {}): MangaInfo {
  return {
    source: 'mangadex',
    id: 'series-1',
    title: 'Solo Leveling',
    image: null,
    cover: '/api/image/cover-token',
    description: 'A hunter levels up.',
    status: 'completed',
    genres: ['Action', 'Fantasy'],
    authors: ['Chugong'],
    alt_titles: [],
    chapters: makeChapters(5),
    ...overrides,
  };
}
