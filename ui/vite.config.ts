import { resolve } from 'node:path';
import { defineConfig } from 'vite';

// Two pages: the main window and the tray's quick-query window. Every
// asset is bundled (no CDN): the app must work air-gapped.
export default defineConfig({
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: { input: { main: resolve(__dirname, 'index.html'), quick: resolve(__dirname, 'quick.html') } },
  },
  test: { environment: 'jsdom', globals: true, include: ['tests/**/*.test.ts'] },
});
