import { useCallback, useState } from 'react';

import { browserStorage } from './storage';

/** The stored choice under `key` if it is one of `choices`, else `fallback`. */
export function readChoice<T extends string>(storage: Storage | null, key: string, choices: readonly T[], fallback: T): T {
  const stored = storage?.getItem(key);
  return choices.find((c) => c === stored) ?? fallback;
}

/** One of a few values, remembered across visits in localStorage (or for this visit only). */
export function useStoredChoice<T extends string>(key: string, choices: readonly T[], fallback: T): [T, (next: T) => void] {
  const [value, setValue] = useState<T>(() => readChoice(browserStorage(), key, choices, fallback));
  const choose = useCallback(
    (next: T) => {
      setValue(next);
      try {
        browserStorage()?.setItem(key, next);
      } catch {
        // not remembered; the choice still applies to this visit
      }
    },
    [key],
  );
  return [value, choose];
}
