import { describe, expect, it } from 'vitest';

import {
  DecodeError,
  decodeChapterPages,
  decodeHealth,
  decodeJob,
  decodeJobs,
  decodeMangaInfo,
  decodeSearch,
  decodeSources,
} from './decode';
import { makeJob, makeManga } from '../test/fixtures';

describe('decode', () => {
  it('passes a well-formed answer through as is', () => {
    const raw = {
      sources: [{ index: 0, name: 'mangadex', title: 'MangaDex', ids_in_path: true }],
      default: 'mangadex',
    };
    expect(decodeSources(raw)).toEqual(raw);
  });

  it('rejects an answer that is not the object it should be', () => {
    expect(() => decodeSources('<html>')).toThrow(DecodeError);
    expect(() => decodeSources({ sources: 'x', default: 'a' })).toThrow('sources.sources is not a list');
    expect(() => decodeSearch({ detail: 'x' })).toThrow(DecodeError);
  });

  it('rejects a list item without its id', () => {
    const search = { source: 's', query: 'q', page: 1, has_next_page: false };
    expect(() => decodeSearch({ ...search, results: [{ title: 'no id', alt_titles: [] }] })).toThrow(
      'search.results[0].id is missing',
    );
    expect(() => decodeMangaInfo({ ...makeManga(), chapters: [{ id: '' }] })).toThrow('info.chapters[0].id is missing');
  });

  it('drops repeated chapter ids, repeated and blank genres, and titles a series by id at worst', () => {
    const chapter = makeManga().chapters[0];
    const info = decodeMangaInfo({ ...makeManga(), title: '', genres: ['Action', 'Action', ' '], chapters: [chapter, chapter] });
    expect(info.chapters).toHaveLength(1);
    expect(info.genres).toEqual(['Action']);
    expect(info.title).toBe('series-1');
  });

  it('orders pages by index and needs each page URL', () => {
    const pages = decodeChapterPages({
      source: 's',
      chapter_id: 'c',
      pages: [
        { index: 1, url: '/api/image/b' },
        { index: 0, url: '/api/image/a' },
      ],
    });
    expect(pages.pages.map((p) => p.url)).toEqual(['/api/image/a', '/api/image/b']);
    expect(() => decodeChapterPages({ pages: [{ index: 0 }] })).toThrow('read.pages[0].url is missing');
  });

  it('narrows a job state the schema types as any string, clamps progress, never leaves a null title', () => {
    const job = decodeJob({ ...makeJob(), state: 'REVOKED', progress: 140, title: null });
    expect(job.state).toBe('CANCELLED');
    expect(job.progress).toBe(100);
    expect(job.title).toBe('');
    expect(decodeJob({ ...makeJob(), state: 'what' }).state).toBe('PENDING');
    expect(() => decodeJob({ state: 'PENDING' })).toThrow(DecodeError);
    expect(decodeJobs({ jobs: [makeJob()] }).jobs).toEqual([makeJob()]);
  });

  it('reads health as ok or degraded', () => {
    const health = { redis: 'ok', workers: 1, queues: { downloads: 0 }, consumet: 'ok' };
    expect(decodeHealth({ ...health, status: 'ok' }).status).toBe('ok');
    expect(decodeHealth({ ...health, status: 'broken' }).status).toBe('degraded');
  });
});
