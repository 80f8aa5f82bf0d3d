import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The web app: built into dist/web, which the backend-for-frontend serves. `vite dev` proxies the BFF.
export default defineConfig({
  root: 'src/web',
  plugins: [react()],
  build: {
    outDir: '../../dist/web',
    emptyOutDir: true,
    // Maps are written (for upload to an error tracker) but not referenced from the scripts, and the BFF never
    // serves them (nor bundle-size.json): see src/server/app.ts.
    sourcemap: 'hidden',
    target: 'es2022',
    // Each page is a lazy chunk named page-<name>, so scripts/bundle-size.mjs can weigh every page.
    rollupOptions: {
      output: {
        chunkFileNames: (chunk) =>
          chunk.facadeModuleId?.includes('/pages/') ? 'assets/page-[name]-[hash].js' : 'assets/[name]-[hash].js',
      },
    },
  },
  server: { proxy: { '/api': 'http://127.0.0.1:3005', '/auth': 'http://127.0.0.1:3005' } },
});
