import '@testing-library/jest-dom/vitest';
import { cleanup, configure } from '@testing-library/react';
import { afterEach, vi } from 'vitest';

// Generous waits: CI shares two cores with the server's test suite.
configure({ asyncUtilTimeout: 5000 });

// jsdom lays nothing out, so it implements no scrolling.
window.scrollTo = vi.fn();
Element.prototype.scrollIntoView = vi.fn();

afterEach(() => {
  cleanup();
  window.localStorage.clear();
});
