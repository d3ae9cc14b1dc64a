import { attemptUrl, usePageLoad } from './usePageLoad';

interface PageImageProps {
  url: string;
  number: number;
  /** Wanted now: loads at once and is timed; otherwise the browser loads it lazily. */
  eager: boolean;
  onLoad?: () => void;
  timeoutMs?: number;
}

/** When an unfinished image leaves the page (timed out, page turned), its request is dropped. */
function dropUnfinished(img: HTMLImageElement | null) {
  return () => {
    if (img && !img.complete) img.removeAttribute('src');
  };
}

/**
 * One page image. Until it loads it keeps a placeholder height (so lazy loading stays lazy) and,
 * when wanted now, says it is loading; a page that fails or takes too long offers a retry.
 */
export function PageImage({ url, number, eager, onLoad, timeoutMs }: PageImageProps) {
  const { state, attempt, loaded, failed, retry } = usePageLoad(eager, timeoutMs);

  if (state === 'failed' || state === 'timed-out') {
    return (
      <div className="page-failed" role="alert">
        <p>{state === 'failed' ? `Page ${number} failed to load.` : `Page ${number} is taking too long to load.`}</p>
        <button
          type="button"
          className="btn btn-small"
          onClick={(event) => {
            event.stopPropagation(); // not a page turn in paged mode
            retry();
          }}
        >
          Retry page {number}
        </button>
      </div>
    );
  }
  return (
    <div className="page-frame" aria-busy={state === 'loading'}>
      <img
        key={attempt}
        ref={dropUnfinished}
        className={`page-img ${state === 'loaded' ? 'is-loaded' : ''}`}
        src={attemptUrl(url, attempt)}
        alt={`Page ${number}`}
        loading={eager ? 'eager' : 'lazy'}
        decoding="async"
        onLoad={() => {
          loaded();
          onLoad?.();
        }}
        onError={failed}
      />
      {state === 'loading' && eager ? <p className="page-loading">Loading page {number}…</p> : null}
    </div>
  );
}
