import { useEffect } from 'react';

const APP_NAME = 'Manhwa Downloader';

/** Sets the tab title to "<title> – Manhwa Downloader". */
export function useDocumentTitle(title: string | null): void {
  useEffect(() => {
    document.title = title ? `${title} – ${APP_NAME}` : APP_NAME;
  }, [title]);
}
