import { useState } from 'react';
import { Link } from 'react-router-dom';

import { errorText } from '../api/client';
import { type FollowMode, useFollow, useFollowOf } from '../api/library';
import { paths } from '../routes';
import { DEFAULT_PAGE_OPTIONS, PageOptionsControl, pageOptionFields } from './PageOptionsControl';

/**
 * Follow a series into the library: "new chapters only" or "all chapters from N", with the page
 * options its chapters are downloaded with (as a download's). Once followed, it links to the
 * Library page instead.
 */
export function FollowButton({ source, seriesId }: { source: string; seriesId: string }) {
  const current = useFollowOf(source, seriesId);
  const follow = useFollow();
  const [open, setOpen] = useState(false);
  const [mode, setMode] = useState<FollowMode>('new');
  const [from, setFrom] = useState('1');
  const [pageOptions, setPageOptions] = useState(DEFAULT_PAGE_OPTIONS);

  if (current.data) {
    return (
      <p className="follow-state">
        <span className="badge">Following</span> <Link to={paths.library}>In the library</Link>
      </p>
    );
  }
  if (!open) {
    return (
      <button type="button" className="btn" onClick={() => setOpen(true)} disabled={current.isLoading}>
        Follow
      </button>
    );
  }
  const fromNumber = Number(from);
  const valid = mode === 'new' || (from.trim() !== '' && Number.isFinite(fromNumber) && fromNumber >= 0);
  return (
    <form
      className="follow-form"
      aria-label="Follow this series"
      onSubmit={(event) => {
        event.preventDefault();
        if (!valid) return;
        const pages = pageOptionFields(pageOptions);
        follow.mutate(
          mode === 'new'
            ? { source, series_id: seriesId, mode, ...pages }
            : { source, series_id: seriesId, mode, from_number: fromNumber, ...pages },
          { onSuccess: () => setOpen(false) },
        );
      }}
    >
      <label>
        <input type="radio" name="follow-mode" checked={mode === 'new'} onChange={() => setMode('new')} /> New
        chapters only
      </label>
      <label>
        <input type="radio" name="follow-mode" checked={mode === 'from'} onChange={() => setMode('from')} /> All
        chapters from
      </label>
      <input
        type="number"
        min={0}
        step="any"
        className="follow-from"
        aria-label="First chapter number"
        value={from}
        disabled={mode !== 'from'}
        onChange={(event) => setFrom(event.target.value)}
      />
      <PageOptionsControl value={pageOptions} onChange={setPageOptions} />
      <button type="submit" className="btn btn-primary" disabled={!valid || follow.isPending}>
        Follow
      </button>
      <button type="button" className="btn btn-ghost" onClick={() => setOpen(false)}>
        Cancel
      </button>
      {follow.isError ? (
        <p className="error-text" role="alert">
          Not followed: {errorText(follow.error)}
        </p>
      ) : null}
    </form>
  );
}
