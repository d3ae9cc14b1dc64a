import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// The API (FastAPI, server/) serves the built app at `/` with an SPA fallback; in development
// Vite serves the app and forwards `/api` (JSON, images, SSE) to it.
const apiTarget = process.env.MANHWA_API_URL ?? 'http://127.0.0.1:8000';

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      '/api': { target: apiTarget, changeOrigin: false },
    },
  },
  preview: {
    proxy: {
      '/api': { target: apiTarget, changeOrigin: false },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    restoreMocks: true,
    testTimeout: 20_000,
    unstubGlobals: true,
  },
});
