// The rendering engines, loaded on first use and then kept: a report is rewritten after every
// episode of a search, and loading vega or compiling Graphviz's wasm each time would cost more than
// drawing. Loading lazily also keeps them out of commands that never draw (search --help, ...).
import type { Graphviz } from '@hpcc-js/wasm-graphviz';

type Vega = typeof import('vega');
type VegaLite = typeof import('vega-lite');
type ResvgModule = typeof import('@resvg/resvg-js');

let vegaModules: Promise<{ vega: Vega; vl: VegaLite }> | undefined;
let graphviz: Promise<Graphviz> | undefined;
let resvg: Promise<ResvgModule> | undefined;

// A failed load is not kept, so a later report tries again instead of failing forever.
function forget(clear: () => void, err: unknown): never {
  clear();
  throw err;
}

export function loadVega(): Promise<{ vega: Vega; vl: VegaLite }> {
  vegaModules ??= Promise.all([import('vega'), import('vega-lite')]).then(
    ([vega, vl]) => ({ vega, vl }),
    (err: unknown) => forget(() => (vegaModules = undefined), err),
  );
  return vegaModules;
}

export function loadGraphviz(): Promise<Graphviz> {
  graphviz ??= import('@hpcc-js/wasm-graphviz').then((m) => m.Graphviz.load()).catch((err: unknown) => forget(() => (graphviz = undefined), err));
  return graphviz;
}

export function loadResvg(): Promise<ResvgModule> {
  resvg ??= import('@resvg/resvg-js').catch((err: unknown) => forget(() => (resvg = undefined), err));
  return resvg;
}
