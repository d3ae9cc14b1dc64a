/** "Resumed at page N." with a way back to page 1; the caller hides it after a while. */
export function ResumeToast({ page, onStartOver, onDismiss }: { page: number; onStartOver: () => void; onDismiss: () => void }) {
  return (
    <div className="toast reader-resume" role="status">
      Resumed at page {page}.{' '}
      <button type="button" className="btn btn-small" onClick={onStartOver}>
        Start from page 1
      </button>
      <button type="button" className="btn btn-small btn-ghost" aria-label="Dismiss" onClick={onDismiss}>
        ✕
      </button>
    </div>
  );
}
