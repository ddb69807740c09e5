// The console's build: web/ -> dist/web, served by the Berth server at /.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  plugins: [react()],
  // The API's shapes, shared with the server (web/tsconfig.json maps the same name).
  resolve: { alias: { '@berth/api-types': fileURLToPath(new URL('../server/lib/harborTypes.ts', import.meta.url)) } },
  build: { outDir: fileURLToPath(new URL('../dist/web', import.meta.url)), emptyOutDir: true, sourcemap: true },
  // `npm run dev:web` proxies the API and the session login to a Berth on :5000.
  server: { proxy: { '/api': 'http://127.0.0.1:5000', '/c': 'http://127.0.0.1:5000', '/v2': 'http://127.0.0.1:5000' } },
});
