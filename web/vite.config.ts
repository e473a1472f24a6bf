import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

// The learner web app, served by the service at /app (src/http/web-app.ts). `npm run build` writes it to dist/web;
// `npm run dev:web` serves it with hot reload, sending /api to the service on port 8000.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/app/',
  plugins: [preact({ prerender: { enabled: false } })],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    // Small enough that one chunk is best; no inlined assets, so that the page's policy can forbid inline content.
    assetsInlineLimit: 0,
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8000' } },
});
