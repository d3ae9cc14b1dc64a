/** `localStorage`, or null where it is unavailable (private modes, blocked cookies, tests). */
export function browserStorage(): Storage | null {
  try {
    const storage = window.localStorage;
    const probe = '__manhwa_probe__';
    storage.setItem(probe, probe);
    storage.removeItem(probe);
    return storage;
  } catch {
    return null;
  }
}
