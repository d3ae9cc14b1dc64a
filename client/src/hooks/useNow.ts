import { useEffect, useState } from 'react';

/** The current time in ms, refreshed every `intervalMs` (for "3 minutes ago" texts). */
export function useNow(intervalMs = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}
