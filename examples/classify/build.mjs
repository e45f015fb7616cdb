// Assembles the example page into a folder any static host serves: the page, the runtimes copied
// from node_modules into vendor/ (no CDN: the page works offline and pins the versions nascent
// tested), and the exported models.
//
//   node examples/classify/build.mjs --tfjs EXPORT_DIR --onnx EXPORT_DIR --out SITE [--serve PORT]
//
// --serve also serves the site on 127.0.0.1:PORT (serve.mjs), to try it before deploying it.
// Either model may be left out; the page then says it has none for that runtime.
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HERE = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
// Each package's dist/ folder, found from its entry point (onnxruntime-web exports no package.json).
const dist = (pkg) => {
  const entry = require.resolve(pkg);
  return entry.slice(0, entry.lastIndexOf(`${sep}dist${sep}`) + 5);
};

/** vendor/ file name -> where it comes from. */
export function vendorFiles() {
  const tfjs = dist('@tensorflow/tfjs');
  const wasm = dist('@tensorflow/tfjs-backend-wasm');
  const webgpu = dist('@tensorflow/tfjs-backend-webgpu');
  const ort = dist('onnxruntime-web');
  return {
    'tf.min.js': join(tfjs, 'tf.min.js'),
    'tf-backend-wasm.min.js': join(wasm, 'tf-backend-wasm.min.js'),
    'tfjs-backend-wasm.wasm': join(wasm, 'tfjs-backend-wasm.wasm'),
    'tfjs-backend-wasm-simd.wasm': join(wasm, 'tfjs-backend-wasm-simd.wasm'),
    'tfjs-backend-wasm-threaded-simd.wasm': join(wasm, 'tfjs-backend-wasm-threaded-simd.wasm'),
    'tf-backend-webgpu.min.js': join(webgpu, 'tf-backend-webgpu.min.js'),
    'ort.wasm.min.js': join(ort, 'ort.wasm.min.js'),
    'ort-wasm-simd-threaded.mjs': join(ort, 'ort-wasm-simd-threaded.mjs'),
    'ort-wasm-simd-threaded.wasm': join(ort, 'ort-wasm-simd-threaded.wasm'),
  };
}

const MODEL_FILES = { tfjs: ['model.json', 'weights.bin', 'preprocessing.json'], onnx: ['model.onnx', 'preprocessing.json'] };

export function buildSite({ tfjs, onnx, out }) {
  if (!tfjs && !onnx) throw new Error('give --tfjs or --onnx (a directory `nascent export` wrote), or both');
  mkdirSync(join(out, 'vendor'), { recursive: true });
  for (const f of ['index.html', 'classify.js']) cpSync(join(HERE, f), join(out, f));
  for (const [name, from] of Object.entries(vendorFiles())) cpSync(from, join(out, 'vendor', name));
  for (const [format, dir] of Object.entries({ tfjs, onnx })) {
    if (!dir) continue;
    for (const f of MODEL_FILES[format]) {
      if (!existsSync(join(dir, f))) throw new Error(`${dir} has no ${f}: give a directory \`nascent export --format ${format}\` wrote`);
      mkdirSync(join(out, `model-${format}`), { recursive: true });
      cpSync(join(dir, f), join(out, `model-${format}`, f));
    }
  }
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { tfjs: { type: 'string' }, onnx: { type: 'string' }, out: { type: 'string' }, serve: { type: 'string' } } });
  if (!values.out) {
    console.error('usage: node examples/classify/build.mjs --tfjs EXPORT_DIR --onnx EXPORT_DIR --out SITE');
    process.exit(2);
  }
  try {
    const out = buildSite({ tfjs: values.tfjs, onnx: values.onnx, out: resolve(values.out) });
    console.log(`site: ${out} (serve it with any static server, e.g. node examples/classify/serve.mjs ${values.out})`);
  } catch (err) {
    console.error(`build.mjs: ${err.message}`);
    process.exit(1);
  }
  if (values.serve !== undefined) {
    const { serve } = await import('./serve.mjs');
    const server = await serve(values.out, Number(values.serve));
    console.log(`serving at http://127.0.0.1:${server.address().port}/ (Ctrl-C stops)`);
  }
}
