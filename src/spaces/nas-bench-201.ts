// NAS-Bench-201's cell space (Dong & Yang, ICLR 2020) behind the SearchSpace seam. A cell has
// 4 nodes; node j (1..3) sums one operation applied to each earlier node i < j: 6 edges, each one
// of 5 operations, 15,625 cells. The benchmark writes a cell as
// `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|` (node 1's edges, then node 2's, then node 3's).
import type { Rng } from '../util/random.js';
import { SpaceValidationError, type Decision, type SearchSpace, type SpaceIssue } from './types.js';

export const NB201_OPS = ['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3'] as const;
export type Nb201Op = (typeof NB201_OPS)[number];

/** The six edges as [from, to], in the order of the benchmark's string. */
export const NB201_EDGES: ReadonlyArray<readonly [number, number]> = [
  [0, 1],
  [0, 2],
  [1, 2],
  [0, 3],
  [1, 3],
  [2, 3],
];

export interface Nb201Cell {
  edges: Nb201Op[];
}

const isOp = (v: unknown): v is Nb201Op => typeof v === 'string' && (NB201_OPS as readonly string[]).includes(v);

/** The benchmark's notation of a cell. */
export function formatNb201(cell: Nb201Cell): string {
  const e = cell.edges;
  return `|${e[0]}~0|+|${e[1]}~0|${e[2]}~1|+|${e[3]}~0|${e[4]}~1|${e[5]}~2|`;
}

/** Problems of `text` as a cell string (empty when it is one), each naming where. */
function stringIssues(text: string, path: string): { issues: SpaceIssue[]; edges: Nb201Op[] } {
  const issues: SpaceIssue[] = [];
  const edges: Nb201Op[] = [];
  const nodes = text.split('+');
  if (nodes.length !== 3) return { issues: [{ path, message: `expected 3 nodes separated by '+', got ${nodes.length} in ${JSON.stringify(text)}` }], edges };
  nodes.forEach((node, n) => {
    const parts = node.split('|');
    if (parts.length < 2 || parts[0] !== '' || parts[parts.length - 1] !== '') {
      issues.push({ path: `${path} node ${n + 1}`, message: `expected |op~i|...| , got ${JSON.stringify(node)}` });
      return;
    }
    const inputs = parts.slice(1, -1);
    if (inputs.length !== n + 1) issues.push({ path: `${path} node ${n + 1}`, message: `expected ${n + 1} edges, got ${inputs.length}` });
    inputs.forEach((edge, i) => {
      const [op, from] = edge.split('~');
      if (!isOp(op)) issues.push({ path: `${path} node ${n + 1} edge ${i}`, message: `unknown operation ${JSON.stringify(op)} (one of ${NB201_OPS.join(', ')})` });
      else if (from !== String(i)) issues.push({ path: `${path} node ${n + 1} edge ${i}`, message: `expected input ~${i}, got ~${from}` });
      else edges.push(op);
    });
  });
  return { issues, edges };
}

/** The cell of a benchmark string; throws a SpaceValidationError saying what is wrong. */
export function parseNb201(text: string): Nb201Cell {
  if (typeof text !== 'string') throw new SpaceValidationError([{ path: '(root)', message: 'expected a cell string' }], 'NAS-Bench-201 cell');
  const { issues, edges } = stringIssues(text, '(root)');
  if (issues.length > 0) throw new SpaceValidationError(issues, 'NAS-Bench-201 cell');
  return { edges };
}

/**
 * A canonical form: edges that cannot reach the output, or are not reachable from the input
 * through non-`none` edges, compute nothing that matters and become `none`; and when edge 1->2 is
 * `none`, nodes 1 and 2 are interchangeable, so the smaller of the two orderings is taken.
 * (Strictly, an operation on a node the input does not reach acts on zeros, which a convolution's
 * BatchNorm turns into its bias; the benchmark's UniqueString keeps some such cells apart.)
 */
export function canonicalNb201(cell: Nb201Cell): Nb201Cell {
  const e = [...cell.edges];
  const live = (k: number) => e[k] !== 'none';
  // reachable from node 0, then able to reach node 3
  const from = [true, false, false, false];
  const to = [false, false, false, true];
  for (let j = 1; j < 4; j++) from[j] = NB201_EDGES.some(([a, b], k) => b === j && live(k) && from[a]);
  for (let i = 2; i >= 0; i--) to[i] = NB201_EDGES.some(([a, b], k) => a === i && live(k) && to[b]);
  NB201_EDGES.forEach(([a, b], k) => {
    if (!(from[a] && to[b])) e[k] = 'none';
  });
  if (e[2] === 'none') {
    // swap nodes 1 and 2: edges 0->1 <-> 0->2, 1->3 <-> 2->3
    const swapped = [e[1], e[0], e[2], e[3], e[5], e[4]];
    if (formatNb201({ edges: swapped as Nb201Op[] }) < formatNb201({ edges: e })) return { edges: swapped as Nb201Op[] };
  }
  return { edges: e };
}

function validate(value: unknown): Nb201Cell {
  const what = 'NAS-Bench-201 cell';
  if (typeof value === 'string') return parseNb201(value);
  if (value !== null && typeof value === 'object' && typeof (value as { arch?: unknown }).arch === 'string') {
    const { issues, edges } = stringIssues((value as { arch: string }).arch, 'arch');
    if (issues.length > 0) throw new SpaceValidationError(issues, what);
    return { edges };
  }
  if (value === null || typeof value !== 'object' || !Array.isArray((value as { edges?: unknown }).edges)) {
    throw new SpaceValidationError([{ path: '(root)', message: 'expected a cell string, {arch: string} or {edges: [6 operations]}' }], what);
  }
  const edges = (value as { edges: unknown[] }).edges;
  const issues: SpaceIssue[] = [];
  if (edges.length !== 6) issues.push({ path: 'edges', message: `expected 6 edges, got ${edges.length}` });
  edges.forEach((op, i) => {
    if (!isOp(op)) issues.push({ path: `edges[${i}]`, message: `unknown operation ${JSON.stringify(op)} (one of ${NB201_OPS.join(', ')})` });
  });
  if (issues.length > 0) throw new SpaceValidationError(issues, what);
  return { edges: [...(edges as Nb201Op[])] };
}

const DECISIONS: Decision[] = NB201_EDGES.map(([a, b]) => ({ kind: 'op', choices: NB201_OPS.length, label: `edge ${a}->${b}` }));

export const nasBench201Space: SearchSpace<Nb201Cell> = {
  id: 'nas-bench-201',
  settings: {},
  decisions: DECISIONS,
  encode: (cell) => validate(cell).edges.map((op) => NB201_OPS.indexOf(op)),
  decode(actions) {
    if (!Array.isArray(actions) || actions.length !== 6 || actions.some((a) => !Number.isInteger(a) || a < 0 || a >= NB201_OPS.length)) {
      throw new RangeError(`a NAS-Bench-201 cell is 6 actions in [0, ${NB201_OPS.length}), got ${JSON.stringify(actions)}`);
    }
    return { edges: actions.map((a) => NB201_OPS[a]) };
  },
  sample: (rng: Rng) => ({ edges: DECISIONS.map(() => NB201_OPS[rng.int(NB201_OPS.length)]) }),
  mutate(cell, rng: Rng) {
    const edges = [...validate(cell).edges];
    const k = rng.int(edges.length);
    const other = rng.int(NB201_OPS.length - 1);
    const current = NB201_OPS.indexOf(edges[k]);
    edges[k] = NB201_OPS[other >= current ? other + 1 : other];
    return { edges };
  },
  key: (cell) => formatNb201(canonicalNb201(cell)),
  validate,
  /** The benchmark's own string, under `arch`. */
  toJSON: (cell) => ({ arch: formatNb201(cell) }),
  describe: (cell) => [formatNb201(cell)],
};
