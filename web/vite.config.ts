// One Vite project, two apps: `vite build --mode device` → dist/web/device,
// `--mode fleet` → dist/web/fleet. Both share web/common through the @common alias.
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));
const apps = {
  device: { port: 8080, entries: ['index.html', 'vnc/index.html'] },
  fleet: { port: 9000, entries: ['index.html', 'vnc/index.html'] },
} as const;

export default defineConfig(({ mode }) => {
  const app = mode === 'fleet' ? 'fleet' : 'device';
  const root = resolve(here, app);
  return {
    root,
    base: '/',
    plugins: [react()],
    resolve: { alias: { '@common': resolve(here, 'common') } },
    build: {
      outDir: resolve(here, '..', 'dist', 'web', app),
      emptyOutDir: true,
      target: 'es2022',
      chunkSizeWarningLimit: 1024,
      rollupOptions: { input: Object.fromEntries(apps[app].entries.map((e) => [e.replace(/\/?index\.html$/, '') || 'main', resolve(root, e)])) },
    },
    server: {
      proxy: {
        '/api': `http://127.0.0.1:${apps[app].port}`,
        '/metrics': `http://127.0.0.1:${apps[app].port}`,
        '/docs': `http://127.0.0.1:${apps[app].port}`,
        '/sessions/': { target: `ws://127.0.0.1:${apps[app].port}`, ws: true },
      },
    },
  };
});
