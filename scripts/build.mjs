// `npm run build`: bundles the service into dist/ with esbuild. One bundle loads in a fraction of the time
// Node.js takes to find, read and compile the thousand-odd files of the service and its dependencies (cold start,
// BENCHMARKS.md). Type checking is `npm run typecheck`'s job, not the bundler's.
import { rm } from 'node:fs/promises';
import { build } from 'esbuild';
import { build as buildWebApp } from 'vite';

await rm('dist', { recursive: true, force: true });
await build({
  entryPoints: ['src/server.ts', 'src/db/template-cli.ts', 'src/chat/chat-cli.ts', 'src/eval/eval-cli.ts'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  // Modules imported on demand (a driver, an LLM provider) stay in chunks of their own and load only when used.
  splitting: true,
  // Every file directly in dist/, one level below the project root as the modules in src/ are: see src/project-root.ts.
  outdir: 'dist',
  entryNames: '[name]',
  chunkNames: '[name]-[hash]',
  sourcemap: 'linked',
  // Packages that read files of their own at run time, found from where their code lives: PGlite its WebAssembly
  // and data files, pino its worker-thread transports. pg-native is optional and absent.
  external: ['@electric-sql/pglite', 'pino', 'pino-pretty', 'pg-native'],
  // Bundled CommonJS packages call require(); an ES module bundle has none of its own.
  banner: { js: "import { createRequire as bundleRequire } from 'node:module'; const require = bundleRequire(import.meta.url);" },
  logLevel: 'warning',
});

// The learner web app (web/), served at /app: static files in dist/web.
await buildWebApp({ configFile: 'web/vite.config.ts', logLevel: 'warn' });
