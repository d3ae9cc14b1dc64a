import type { ReactNode } from 'react';

import { errorText, isRetryable } from '../api/client';

export function Loading({ label }: { label: string }) {
  return (
    <div className="state state-loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

/** An error in the reader's words; "Try again" only where asking again can help. */
export function ErrorNotice({ error, title, onRetry }: { error: unknown; title?: string; onRetry?: () => void }) {
  return (
    <div className="state state-error" role="alert">
      <p>
        {title ? <strong>{title}: </strong> : null}
        {errorText(error)}
      </p>
      {onRetry && isRetryable(error) ? (
        <button type="button" className="btn" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="state state-empty">{children}</div>;
}
