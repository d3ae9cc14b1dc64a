import { describe, expect, it } from 'vitest';

import { DecodeError, decodeChapterPages, decodeJob, decodeMangaInfo, decodeSearch, decodeSources } from './decode';

describe('decode', () => {
  it('reads sources and their default', () => {
    const raw = {
      sources: [{ index: 0, name: 'mangadex', title: 'MangaDex', ids_in_path: true }, { index: 1, name: 'demo' }],
      default: 'mangadex',
    };
    expect(decodeSources(raw)).toEqual({
      sources: [
        { index: 0, name: 'mangadex', title: 'MangaDex', ids_in_path: true },
        { index: 1, name: 'demo', title: 'demo', ids_in_path: false },
      ],
      default: 'mangadex',
    });
  });

  it('fills missing optional search fields and rejects a result without id', () => {
    const result = decodeSearch({ source: 's', query: 'q', page: 1, has_next_page: true, results: [{ id: 'a', title: 'A' }] });
    expect(result.results[0]).toEqual({
      id: 'a',
      title: 'A',
      image: null,
      cover: null,
      description: null,
      status: null,
      alt_titles: [],
    });
    expect(() => decodeSearch({ results: [{ title: 'no id' }] })).toThrow(DecodeError);
    expect(() => decodeSearch({ detail: 'x' })).toThrow(DecodeError);
  });

  it('keeps the chapter order of info and numbers as strings', () => {
    const info = decodeMangaInfo({
      id: 'm',
      title: 'M',
      chapters: [
        { id: 'c2', title: '', number: 2, pages: 12 },
        { id: 'c1', title: 'One', number: '1', volume: '1', released: '2020' },
      ],
    });
    expect(info.chapters.map((c) => [c.id, c.number, c.pages])).toEqual([
      ['c2', '2', 12],
      ['c1', '1', null],
    ]);
    expect(info.genres).toEqual([]);
  });

  it('drops repeated chapter ids and genres', () => {
    const chapter = { id: 'c1', title: 'One' };
    const info = decodeMangaInfo({ id: 'm', genres: ['Action', 'Action', ''], chapters: [chapter, chapter] });
    expect(info.chapters).toHaveLength(1);
    expect(info.genres).toEqual(['Action']);
  });

  it('orders pages by index', () => {
    const pages = decodeChapterPages({
      chapter_id: 'c',
      pages: [
        { index: 1, url: '/api/image/b' },
        { index: 0, url: '/api/image/a' },
      ],
    });
    expect(pages.pages.map((p) => p.url)).toEqual(['/api/image/a', '/api/image/b']);
  });

  it('decodes a job, clamping progress and mapping unknown states', () => {
    const job = decodeJob({ task_id: 't', state: 'REVOKED', progress: 140, failed: [{ chapter_id: 'c', reason: 'HTTP 404' }] });
    expect(job.state).toBe('CANCELLED');
    expect(job.progress).toBe(100);
    expect(job.failed).toEqual([{ chapter_id: 'c', title: 'c', reason: 'HTTP 404' }]);
    expect(job.download_url).toBeNull();
    expect(() => decodeJob({ state: 'PENDING' })).toThrow(DecodeError);
  });
});
