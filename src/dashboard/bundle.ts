// The page's script and styles, bundled by esbuild from src/dashboard/client (vega and vega-lite
// included: the page loads nothing from elsewhere and works offline). `npm run build` writes the
// bundle into dist/dashboard-page (scripts/bundle-dashboard.mjs calls writeClientBundle); the server
// serves that, unless the client's sources are newer (an edit since the build, or a checkout run from
// src with tsx, as the tests do), in which case it bundles them in memory once.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ClientAssets {
  js: string;
  css: string;
  /** Where they came from: the built bundle, or bundled now from the sources. */
  origin: 'dist' | 'sources';
}

const here = dirname(fileURLToPath(import.meta.url));
/** The package root: this file is src/dashboard/bundle.ts or dist/dashboard/bundle.js. */
const ROOT = join(here, '..', '..');
const SOURCES = join(ROOT, 'src', 'dashboard', 'client');
// Beside, not inside, dist/dashboard: tsc writes dist/dashboard/client/*.js from the same sources.
const BUILT = join(ROOT, 'dist', 'dashboard-page');

/** The newest mtime of the files under `dir` (and of the shared views in src/report, which the client imports). */
function newestSource(): number {
  let newest = 0;
  for (const dir of [SOURCES, join(ROOT, 'src', 'report')]) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) newest = Math.max(newest, statSync(join(dir, f)).mtimeMs);
  }
  return newest;
}

async function bundle(): Promise<{ js: string; css: string }> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [join(SOURCES, 'main.ts'), join(SOURCES, 'style.css')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome110', 'firefox110', 'safari16'],
    minify: true,
    write: false,
    outdir: BUILT,
    legalComments: 'none',
    // The report's node-only engines (PNG rendering, Graphviz) sit behind dynamic imports plots.ts
    // never reaches in the browser: left out, not bundled.
    external: ['@resvg/resvg-js', '@hpcc-js/wasm-graphviz'],
    logLevel: 'silent',
  });
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'))?.text ?? '';
  const css = result.outputFiles.find((f) => f.path.endsWith('.css'))?.text ?? '';
  return { js, css };
}

let cached: Promise<ClientAssets> | undefined;

export function clientAssets(): Promise<ClientAssets> {
  cached ??= (async (): Promise<ClientAssets> => {
    const js = join(BUILT, 'app.js');
    if (existsSync(js) && (!existsSync(SOURCES) || statSync(js).mtimeMs >= newestSource())) {
      const cssPath = join(BUILT, 'app.css');
      return { js: readFileSync(js, 'utf8'), css: existsSync(cssPath) ? readFileSync(cssPath, 'utf8') : '', origin: 'dist' };
    }
    return { ...(await bundle()), origin: 'sources' };
  })().catch((err: unknown) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

/** Writes the bundle into dist/dashboard-page (the build's last step). */
export async function writeClientBundle(): Promise<string[]> {
  const { js, css } = await bundle();
  mkdirSync(BUILT, { recursive: true });
  writeFileSync(join(BUILT, 'app.js'), js);
  writeFileSync(join(BUILT, 'app.css'), css);
  return [join(BUILT, 'app.js'), join(BUILT, 'app.css')];
}
