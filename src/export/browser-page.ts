// The page --latency-on browser times children in, and the 127.0.0.1 server it comes from: tfjs
// loaded from node_modules (no CDN), and each child as a standard-layers model (see tfjs.ts) under
// /models/<id>/, which the page loads with tf.loadLayersModel as a deployed page would.
import { createReadStream, existsSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';

export const BROWSER_BACKENDS = ['wasm', 'webgl', 'webgpu', 'cpu'] as const;
export type BrowserBackend = (typeof BROWSER_BACKENDS)[number];

const require = createRequire(import.meta.url);
// A package's dist/ folder, found from its entry point.
function dist(pkg: string): string {
  const entry = require.resolve(pkg);
  const at = entry.lastIndexOf(`${sep}dist${sep}`);
  return at >= 0 ? entry.slice(0, at + 5) : join(dirname(entry), 'dist');
}

/** /vendor/<name> -> file. @tensorflow/tfjs bundles cpu and webgl; wasm and webgpu come beside it. */
export function vendorFiles(): Record<string, string> {
  const tfjs = dist('@tensorflow/tfjs');
  const wasm = dist('@tensorflow/tfjs-backend-wasm');
  const webgpu = dist('@tensorflow/tfjs-backend-webgpu');
  return {
    'tf.min.js': join(tfjs, 'tf.min.js'),
    'tf-backend-wasm.min.js': join(wasm, 'tf-backend-wasm.min.js'),
    'tfjs-backend-wasm.wasm': join(wasm, 'tfjs-backend-wasm.wasm'),
    'tfjs-backend-wasm-simd.wasm': join(wasm, 'tfjs-backend-wasm-simd.wasm'),
    'tfjs-backend-wasm-threaded-simd.wasm': join(wasm, 'tfjs-backend-wasm-threaded-simd.wasm'),
    'tf-backend-webgpu.min.js': join(webgpu, 'tf-backend-webgpu.min.js'),
  };
}

// setup() picks the backend; time() loads a model and returns its batch-1 times after a warm-up,
// each call timed to its data, as latency.ts does in Node.
const PAGE = `<!doctype html><meta charset="utf-8"><title>nascent latency</title><link rel="icon" href="data:,">
<script src="/vendor/tf.min.js"></script>
<script src="/vendor/tf-backend-wasm.min.js"></script>
<script src="/vendor/tf-backend-webgpu.min.js"></script>
<script>
window.setup = async (backend) => {
  tf.wasm.setWasmPaths(location.origin + '/vendor/');
  const ok = await tf.setBackend(backend).catch((e) => String(e));
  await tf.ready().catch(() => {});
  return { ok: ok === true, backend: tf.getBackend(), error: ok === true ? undefined : String(ok) };
};
window.time = async (url, shape, warmup, runs) => {
  const model = await tf.loadLayersModel(url);
  const x = tf.zeros([1, ...shape]);
  const times = [];
  try {
    for (let i = 0; i < warmup + runs; i++) {
      const started = performance.now();
      const y = model.predict(x);
      await y.data();
      y.dispose();
      if (i >= warmup) times.push(performance.now() - started);
    }
  } finally {
    x.dispose();
    model.dispose();
  }
  return times;
};
</script>`;

const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.bin': 'application/octet-stream',
};

export interface LatencyServer {
  url: string;
  /** Serves a model's model.json and weights.bin under /models/<id>/ until dropped. */
  put(id: string, files: { 'model.json': string; 'weights.bin': Uint8Array }): string;
  drop(id: string): void;
  close(): Promise<void>;
}

export async function startLatencyServer(): Promise<LatencyServer> {
  const vendor = vendorFiles();
  for (const [name, file] of Object.entries(vendor)) if (!existsSync(file)) throw new Error(`the latency page needs ${file} (${name}): npm install`);
  const models = new Map<string, Record<string, string | Uint8Array>>();
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const ext = path.slice(path.lastIndexOf('.'));
    if (path === '/') return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    const v = /^\/vendor\/([\w.-]+)$/.exec(path);
    if (v && vendor[v[1]!]) {
      res.writeHead(200, { 'content-type': TYPES[ext] ?? 'application/octet-stream' });
      return void createReadStream(vendor[v[1]!]!).pipe(res);
    }
    const m = /^\/models\/([\w-]+)\/(model\.json|weights\.bin)$/.exec(path);
    const body = m ? models.get(m[1]!)?.[m[2]!] : undefined;
    if (body !== undefined) return void res.writeHead(200, { 'content-type': TYPES[ext] ?? 'application/octet-stream' }).end(body);
    res.writeHead(404).end();
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  return {
    url,
    put(id, files) {
      models.set(id, files);
      return `${url}models/${id}/model.json`;
    },
    drop: (id) => void models.delete(id),
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
