// The example page's logic: load the exported models (tfjs layers model and ONNX) and the
// preprocessing.json written beside them, turn a dropped or picked image into the input nascent
// trained on (resized to cover the model's square and centre-cropped, alpha flattened over black,
// pixels * scale + offset, NHWC), and show each runtime's top classes.
//
// URL parameters: ?tfjs=<model.json URL>&onnx=<model.onnx URL> (default model-tfjs/model.json and
// model-onnx/model.onnx beside the page), &backend=wasm|webgl|webgpu|cpu (tfjs's backend; default
// tfjs's own choice). The results are also left in window.nascent for scripts and tests.
/* global tf, ort */

const params = new URLSearchParams(location.search);
const TFJS_URL = params.get('tfjs') ?? 'model-tfjs/model.json';
const ONNX_URL = params.get('onnx') ?? 'model-onnx/model.onnx';
const TOP = 3;

const state = { tfjs: undefined, onnx: undefined, results: {}, ready: undefined };
window.nascent = state;

const beside = (url, file) => new URL(file, new URL(url, location.href)).href;

async function fetchJson(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.json();
}

function show(id, status, probs, classes) {
  const section = document.getElementById(id);
  section.querySelector('.status').textContent = status;
  const list = section.querySelector('ol');
  list.replaceChildren();
  if (!probs) return;
  const order = Array.from(probs.keys()).sort((a, b) => probs[b] - probs[a]);
  for (const k of order.slice(0, TOP)) {
    const li = document.createElement('li');
    li.textContent = `${classes[k] ?? k}: ${(probs[k] * 100).toFixed(1)}%`;
    list.append(li);
  }
}

async function loadTfjs() {
  const backend = params.get('backend');
  // The wasm backend's binaries sit in vendor/ beside the page, never on a CDN.
  if (tf.wasm) tf.wasm.setWasmPaths(new URL('vendor/', location.href).href);
  if (backend) await tf.setBackend(backend);
  await tf.ready();
  const model = await tf.loadLayersModel(TFJS_URL);
  const pre = await fetchJson(beside(TFJS_URL, 'preprocessing.json'));
  return { model, pre, backend: tf.getBackend() };
}

async function loadOnnx() {
  ort.env.wasm.wasmPaths = new URL('vendor/', location.href).href;
  // One thread: threads need a cross-origin-isolated page, which a plain static host is not.
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(ONNX_URL, { executionProviders: ['wasm'] });
  const pre = await fetchJson(beside(ONNX_URL, 'preprocessing.json'));
  return { session, pre };
}

/** The image as the model's input: Float32Array of height x width x channels. */
function toInput(bitmap, pre) {
  const { height, width, channels } = pre.image;
  const canvas = document.getElementById('preview');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, width, height);
  const scale = Math.max(width / bitmap.width, height / bitmap.height);
  const [sw, sh] = [width / scale, height / scale];
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(bitmap, (bitmap.width - sw) / 2, (bitmap.height - sh) / 2, sw, sh, 0, 0, width, height);
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const out = new Float32Array(height * width * channels);
  for (let p = 0; p < height * width; p++) {
    const [r, g, b] = [rgba[4 * p], rgba[4 * p + 1], rgba[4 * p + 2]];
    if (channels === 3) {
      out[3 * p] = r * pre.scale + pre.offset;
      out[3 * p + 1] = g * pre.scale + pre.offset;
      out[3 * p + 2] = b * pre.scale + pre.offset;
    } else out[p] = (0.299 * r + 0.587 * g + 0.114 * b) * pre.scale + pre.offset;
  }
  return out;
}

async function runTfjs(pixels) {
  const { model, pre } = state.tfjs;
  const started = performance.now();
  const x = tf.tensor4d(pixels, pre.input.shape);
  const y = model.predict(x);
  const probs = await y.data();
  tf.dispose([x, y]);
  return { probs: Array.from(probs), ms: performance.now() - started };
}

async function runOnnx(pixels) {
  const { session, pre } = state.onnx;
  const started = performance.now();
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', pixels, pre.input.shape) };
  const out = await session.run(feeds);
  return { probs: Array.from(out[session.outputNames[0]].data), ms: performance.now() - started };
}

async function classify(file) {
  const bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const results = {};
  for (const [id, run] of [
    ['tfjs', runTfjs],
    ['onnx', runOnnx],
  ]) {
    if (!state[id]) continue;
    try {
      const pixels = toInput(bitmap, state[id].pre);
      results[id] = { ...(await run(pixels)), pixels: Array.from(pixels.slice(0, 8)) };
      show(id, `${file.name ?? 'image'}: ${results[id].ms.toFixed(1)} ms`, results[id].probs, state[id].pre.output.classes);
    } catch (err) {
      results[id] = { error: String(err) };
      show(id, `failed: ${err}`);
    }
  }
  state.results = results;
  document.body.dataset.classified = String(Number(document.body.dataset.classified ?? 0) + 1);
  return results;
}
window.nascentClassify = classify;

const input = document.getElementById('file');
const drop = document.getElementById('drop');
input.addEventListener('change', () => input.files[0] && classify(input.files[0]));
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const file = e.dataTransfer.files[0];
  if (file) classify(file);
});

async function load(id, loader, describe) {
  try {
    state[id] = await loader();
    show(id, `ready: ${describe(state[id])}`);
  } catch (err) {
    show(id, `no model: ${err.message ?? err}`);
  }
}

state.ready = Promise.all([load('tfjs', loadTfjs, (m) => `${TFJS_URL} on ${m.backend}`), load('onnx', loadOnnx, () => `${ONNX_URL} on wasm`)]).then(() => {
  document.body.dataset.ready = 'true';
});
