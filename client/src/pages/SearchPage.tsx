import { useState, type SubmitEvent } from 'react';
import { Link, useSearchParams } from 'react-router-dom';

import { SEARCH_MAX_LENGTH, useSearch } from '../api/search';
import { useSources } from '../api/sources';
import { Cover } from '../components/Cover';
import { Empty, ErrorNotice, Loading } from '../components/StatusViews';
import { useDocumentTitle } from '../hooks/useDocumentTitle';
import { paths } from '../routes';

function pageParam(value: string | null): number {
  const n = Number(value);
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

/** Search form state lives in the URL (`?q=&source=&page=`) so Back returns to the results. */
export function SearchPage() {
  const [params, setParams] = useSearchParams();
  const q = params.get('q')?.trim() ?? '';
  const page = pageParam(params.get('page'));
  const sources = useSources();
  const source = params.get('source') ?? sources.data?.default ?? '';
  // `?source=nope`: say so, rather than show the first source in the picker and search another.
  const unknownSource =
    sources.data !== undefined &&
    !sources.data.sources.some((s) => s.name === source || String(s.index) === source);

  const [draft, setDraft] = useState(q);
  const [draftFor, setDraftFor] = useState(q);
  if (draftFor !== q) {
    // The URL changed under us (Back/Forward): show its query in the box.
    setDraftFor(q);
    setDraft(q);
  }

  // Without a source in the URL, wait for the server's default rather than searching twice.
  const sourceKnown = params.get('source') !== null || !sources.isPending;
  useDocumentTitle(q ? `${q} – Search` : 'Search');
  const search = useSearch({ q, source, page }, sourceKnown && !unknownSource);

  const go = (next: { q?: string; source?: string; page?: number }) => {
    const nextQ = next.q ?? q;
    const nextSource = next.source ?? source;
    const nextPage = next.page ?? 1;
    const query: Record<string, string> = {};
    if (nextQ) query.q = nextQ;
    if (nextSource) query.source = nextSource;
    if (nextPage > 1) query.page = String(nextPage);
    setParams(query);
  };

  const onSubmit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    go({ q: draft.trim(), page: 1 });
  };

  const data = search.data;
  const showingStale = search.isPlaceholderData;

  return (
    <section className="search-page" aria-labelledby="search-heading">
      <h1 id="search-heading" className="visually-hidden">
        Search
      </h1>

      <form role="search" className="search-form" onSubmit={onSubmit} aria-label="Search manga">
        <label className="field field-source">
          <span className="field-label">Source</span>
          <select
            value={source}
            disabled={!sources.data}
            onChange={(e) => go({ source: e.target.value, page: 1 })}
          >
            {!sources.data ? <option value={source}>{sources.isError ? 'Unavailable' : 'Loading…'}</option> : null}
            {unknownSource ? (
              <option value={source} disabled>
                Unknown source
              </option>
            ) : null}
            {sources.data?.sources.map((s) => (
              <option key={s.name} value={s.name}>
                {s.title}
              </option>
            ))}
          </select>
        </label>
        <label className="field field-query">
          <span className="field-label">Search</span>
          <input
            type="search"
            name="q"
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            placeholder="Title, e.g. Solo Leveling"
            autoComplete="off"
            enterKeyHint="search"
            maxLength={SEARCH_MAX_LENGTH}
          />
        </label>
        <button type="submit" className="btn btn-primary">
          Search
        </button>
      </form>

      {sources.isError ? <ErrorNotice title="Sources" error={sources.error} onRetry={() => void sources.refetch()} /> : null}

      {unknownSource ? (
        <Empty>
          There is no source called “<bdi>{source}</bdi>” here: pick one in the list.
        </Empty>
      ) : !q ? (
        <Empty>Type a title and press Search.</Empty>
      ) : search.isPending ? (
        <Loading label="Searching…" />
      ) : search.isError && !data ? (
        <ErrorNotice error={search.error} onRetry={() => void search.refetch()} />
      ) : data ? (
        <>
          {search.isError ? <ErrorNotice error={search.error} onRetry={() => void search.refetch()} /> : null}
          {data.results.length === 0 ? (
            <Empty>
              No results for “<bdi>{data.query || q}</bdi>”{page > 1 ? ` on page ${page}` : ''}.
            </Empty>
          ) : (
            <ul className={`results ${showingStale ? 'is-stale' : ''}`} aria-label="Search results" aria-busy={showingStale}>
              {data.results.map((r) => (
                <li key={r.id} className="result">
                  <Link to={paths.series(data.source || source, r.id)} className="result-link">
                    <Cover src={r.cover} className="result-cover" />
                    <bdi className="result-title">{r.title}</bdi>
                  </Link>
                  {r.status ? <span className="result-status">{r.status}</span> : null}
                </li>
              ))}
            </ul>
          )}
          <nav className="pager" aria-label="Result pages">
            <button
              type="button"
              className="btn"
              disabled={page <= 1 || showingStale}
              onClick={() => go({ page: page - 1 })}
            >
              Previous page
            </button>
            <span className="pager-page" aria-live="polite">
              Page {page}
            </span>
            <button
              type="button"
              className="btn"
              disabled={!data.has_next_page || showingStale}
              onClick={() => go({ page: page + 1 })}
            >
              Next page
            </button>
          </nav>
          {showingStale ? <Loading label="Loading…" /> : null}
        </>
      ) : null}
    </section>
  );
}
