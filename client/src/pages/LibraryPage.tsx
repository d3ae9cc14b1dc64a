import { useState } from 'react';

import { errorText } from '../api/client';
import { type FollowView, useCheckNow, useLibrary, usePause, useSetPages, useUnfollow } from '../api/library';
import { Cover } from '../components/Cover';
import { type PageOptions, PageOptionsControl, pageOptionFields } from '../components/PageOptionsControl';
import { Empty, ErrorNotice, Loading } from '../components/StatusViews';
import { useDocumentTitle } from '../hooks/useDocumentTitle';

function when(seconds: number | null): string {
  if (!seconds) return '—';
  return new Date(seconds * 1000).toLocaleString();
}

function pageOptionsOf(follow: FollowView): PageOptions {
  return {
    splitTall: follow.split_tall !== null,
    targetHeight: follow.split_tall?.target_height ?? 2000,
    encode: follow.encode,
  };
}

/** The follow's page options in a few words: what its new chapters' pages will be. */
function describePages(follow: FollowView): string {
  const parts = [];
  if (follow.split_tall) parts.push(`tall pages split (~${follow.split_tall.target_height} px)`);
  if (follow.encode !== 'original') parts.push(`encoded ${follow.encode}`);
  return parts.length > 0 ? parts.join(', ') : 'as the source sends them';
}

function FollowCard({ follow }: { follow: FollowView }) {
  const check = useCheckNow();
  const pause = usePause();
  const unfollow = useUnfollow();
  const setPages = useSetPages();
  const [pages, setPagesDraft] = useState<PageOptions | null>(null);
  const busy = check.isPending || pause.isPending || unfollow.isPending || setPages.isPending;
  const failed = check.error ?? pause.error ?? unfollow.error ?? setPages.error;
  const draft = pages ?? pageOptionsOf(follow);
  return (
    <article className="follow" aria-label={follow.title}>
      <Cover src={follow.cover_url} className="follow-cover" />
      <div className="follow-body">
        <h2 className="follow-title">{follow.title}</h2>
        <dl className="series-facts">
          <div>
            <dt>In the library</dt>
            <dd>
              {follow.chapters_in_library} {follow.chapters_in_library === 1 ? 'chapter' : 'chapters'}
            </dd>
          </div>
          <div>
            <dt>New</dt>
            <dd>{follow.new_chapters}</dd>
          </div>
          <div>
            <dt>Last check</dt>
            <dd>{when(follow.last_check)}</dd>
          </div>
          <div>
            <dt>Next check</dt>
            <dd>{follow.paused ? 'paused' : when(follow.next_check)}</dd>
          </div>
          <div>
            <dt>Pages</dt>
            <dd>{describePages(follow)}</dd>
          </div>
        </dl>
        <PageOptionsControl value={draft} onChange={setPagesDraft} />
        {pages ? (
          <p className="follow-pages">
            <button
              type="button"
              className="btn btn-small"
              disabled={busy}
              onClick={() =>
                setPages.mutate(
                  // Every field, so going back to the defaults is sent too.
                  { id: follow.id, pages: { split_tall: false, encode: 'original', ...pageOptionFields(draft) } },
                  { onSuccess: () => setPagesDraft(null) },
                )
              }
            >
              Save page options
            </button>{' '}
            <span className="muted">for the chapters downloaded from now on</span>
          </p>
        ) : null}
        {follow.latest.length > 0 ? (
          <ul className="follow-latest" aria-label="New chapters">
            {follow.latest.map((e) => (
              <li key={e.chapter_id}>{e.file.split('/').pop()}</li>
            ))}
          </ul>
        ) : null}
        {follow.last_error ? (
          <p className="job-error" role="status">
            Last error: {follow.last_error}
          </p>
        ) : null}
        {follow.failures.length > 0 ? (
          <ul className="follow-failures" aria-label="Failed chapters">
            {follow.failures.map((f) => (
              <li key={f.chapter_id}>
                {f.title}: {f.reason} (attempt {f.attempts}, next try {when(f.next_try)})
              </li>
            ))}
          </ul>
        ) : null}
        <div className="follow-actions">
          <button type="button" className="btn btn-small" disabled={busy} onClick={() => check.mutate(follow.id)}>
            Check now
          </button>
          <button
            type="button"
            className="btn btn-small"
            aria-pressed={follow.paused}
            disabled={busy}
            onClick={() => pause.mutate({ id: follow.id, paused: !follow.paused })}
          >
            {follow.paused ? 'Resume' : 'Pause'}
          </button>
          <button
            type="button"
            className="btn btn-small btn-danger"
            disabled={busy}
            onClick={() => unfollow.mutate(follow.id)}
          >
            Unfollow
          </button>
        </div>
        {failed ? <p className="error-text" role="alert">{errorText(failed)}</p> : null}
      </div>
    </article>
  );
}

/** Followed series, what the library holds of each, and their checks. */
export function LibraryPage() {
  useDocumentTitle('Library');
  const library = useLibrary();
  return (
    <section className="library" aria-labelledby="library-heading">
      <h1 id="library-heading">Library</h1>
      <p className="muted">
        Followed series are checked on a schedule; new chapters go to the library folder (Komga, Kavita, OPDS at{' '}
        <a href="/opds">/opds</a>).
      </p>
      {library.isPending ? <Loading label="Loading the library" /> : null}
      {library.isError ? <ErrorNotice error={library.error} onRetry={() => void library.refetch()} /> : null}
      {library.data && library.data.length === 0 ? (
        <Empty>No followed series yet: open a series and press Follow.</Empty>
      ) : null}
      {library.data?.map((follow) => <FollowCard key={follow.id} follow={follow} />)}
    </section>
  );
}
