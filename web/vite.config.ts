import preact from '@preact/preset-vite';
import { type Plugin, defineConfig } from 'vite';
import { CLIENT_ROUTES } from './src/routes.js';

/** dist/web/routes.json: the client's pages, which the server answers with index.html (src/plugins/web-client.ts). */
function routeManifest(): Plugin {
  return {
    name: 'butaca-route-manifest',
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: 'routes.json', source: `${JSON.stringify(CLIENT_ROUTES)}\n` });
    },
  };
}

// `npm run dev` serves the client with hot reload and hands every API path to a running Butaca
// (`npm start`), so the browser sees one origin, as in production: the session cookie and the
// server's cross-site check work unchanged.
const api = process.env.API_URL ?? 'http://127.0.0.1:8000';
const proxied = ['/api', '/auth', '/docs', '/openapi.json'];

export default defineConfig({
  root: import.meta.dirname,
  plugins: [preact(), routeManifest()],
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
  },
  server: {
    port: 5173,
    strictPort: true,
    proxy: Object.fromEntries(proxied.map((prefix) => [prefix, { target: api }])),
  },
});
