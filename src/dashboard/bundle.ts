// The page's script and styles, bundled by esbuild from src/dashboard/client (vega and vega-lite
// included: the page loads nothing from elsewhere and works offline). `npm run build` writes the
// bundle into dist/dashboard-page (scripts/bundle-dashboard.mjs calls writeClientBundle); the server
// serves that, unless the client's sources are newer (an edit since the build, or a checkout run from
// src with tsx, as the tests do), in which case it bundles them in memory once.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ClientAssets {
  /** The page's files by name: main.js (the entry), style.css, and the chunks main.js imports (vega's). */
  files: Map<string, string>;
  /** Where they came from: the built bundle, or bundled now from the sources. */
  origin: 'dist' | 'sources';
}

const here = dirname(fileURLToPath(import.meta.url));
/** The package root: this file is src/dashboard/bundle.ts or dist/dashboard/bundle.js. */
const ROOT = join(here, '..', '..');
const SOURCES = join(ROOT, 'src', 'dashboard', 'client');
// Beside, not inside, dist/dashboard: tsc writes dist/dashboard/client/*.js from the same sources.
const BUILT = join(ROOT, 'dist', 'dashboard-page');

/** The newest mtime under src/ (the client imports the report's views and, through them, more of src). */
function newestSource(dir = join(ROOT, 'src')): number {
  let newest = statSync(dir).mtimeMs;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Bundles the page. Split in chunks: vega and vega-lite are imported when the first plot is drawn,
 * so the page asks for the run's data while the browser is still compiling them.
 */
async function bundle(): Promise<Map<string, string>> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [join(SOURCES, 'main.ts'), join(SOURCES, 'style.css')],
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome110', 'firefox110', 'safari16'],
    minify: true,
    write: false,
    outdir: BUILT,
    entryNames: '[name]',
    chunkNames: 'chunk-[hash]',
    legalComments: 'none',
    // The report's node-only engines (PNG rendering, Graphviz) sit behind dynamic imports plots.ts
    // never reaches in the browser: left out, not bundled.
    external: ['@resvg/resvg-js', '@hpcc-js/wasm-graphviz'],
    logLevel: 'silent',
  });
  return new Map(result.outputFiles.map((f) => [basename(f.path), f.text]));
}

let cached: Promise<ClientAssets> | undefined;

export function clientAssets(): Promise<ClientAssets> {
  cached ??= (async (): Promise<ClientAssets> => {
    const main = join(BUILT, 'main.js');
    if (existsSync(main) && (!existsSync(SOURCES) || statSync(main).mtimeMs >= newestSource())) {
      return { files: new Map(readdirSync(BUILT).map((f) => [f, readFileSync(join(BUILT, f), 'utf8')])), origin: 'dist' };
    }
    return { files: await bundle(), origin: 'sources' };
  })().catch((err: unknown) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

/** Writes the bundle into dist/dashboard-page, replacing what was there (the build's last step). */
export async function writeClientBundle(): Promise<string[]> {
  const files = await bundle();
  rmSync(BUILT, { recursive: true, force: true });
  mkdirSync(BUILT, { recursive: true });
  for (const [name, text] of files) writeFileSync(join(BUILT, name), text);
  return [...files.keys()].map((name) => join(BUILT, name));
}
