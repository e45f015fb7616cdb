// NAS-Bench-201's cell space (Dong & Yang, ICLR 2020) behind the SearchSpace seam. A cell has
// 4 nodes; node j (1..3) sums one operation applied to each earlier node i < j: 6 edges, each one
// of 5 operations, 15,625 cells. The benchmark writes a cell as
// `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|` (node 1's edges, then node 2's, then node 3's). An
// architecture's JSON is `{arch: that string}`, which trials and best-cells files can be checked and
// joined with the table by; validate also takes the bare string or `{edges: [6 operations]}`.
import type { Rng } from '../../util/random.js';
import { SpaceValidationError, type Decision, type SearchSpace, type SpaceIssue } from '../types.js';

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
      const [op, from, ...rest] = edge.split('~');
      if (!isOp(op))
        issues.push({ path: `${path} node ${n + 1} edge ${i}`, message: `unknown operation ${JSON.stringify(op)} (one of ${NB201_OPS.join(', ')})` });
      else if (from !== String(i) || rest.length > 0)
        issues.push({ path: `${path} node ${n + 1} edge ${i}`, message: `expected input ~${i}, got ${edge.slice(op.length) || 'nothing'}` });
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
 * The table's UniqueString of a cell, byte for byte: the benchmark's own
 * `Structure.to_unique_str(consider_zero=True)`. Each node is its incoming terms, sorted and joined
 * by '+'; `none`, or any operation on a node written '#', is '#'; `skip_connect` copies its node's
 * string in as one term; any other operation is `(node)@op`. Its classes are the benchmark's 6,466
 * "unique" cells. It is not our key: a sum of zeros stays '#+#' (so an operation on it is not zero),
 * '#' terms are counted, and a copied-in sum sorts as one term, so one computation can be written
 * several ways (e.g. `...+0+(0)@nor_conv_3x3` and `...+(0)@nor_conv_3x3+0`).
 */
export function nb201UniqueString(cell: Nb201Cell): string {
  const nodes = ['0'];
  for (let j = 1; j < 4; j++) {
    const terms: string[] = [];
    NB201_EDGES.forEach(([i, to], k) => {
      if (to !== j) return;
      const op = cell.edges[k];
      if (op === 'none' || nodes[i] === '#') terms.push('#');
      else if (op === 'skip_connect') terms.push(nodes[i]);
      else terms.push(`(${nodes[i]})@${op}`);
    });
    nodes.push(terms.sort().join('+'));
  }
  return nodes[3];
}

/**
 * The canonical key: what the cell's output computes, as an expression. Node 0 is `0`; node j is
 * the multiset of its incoming terms: `skip_connect` adds its node's terms themselves (identity),
 * another operation adds `(terms of its node)@op`, and `none`, or an operation on a node with no
 * terms, adds nothing. Terms are sorted, so the order in which edges list them never matters: nodes
 * 1 and 2 swap freely when edge 1->2 is `none`, and an edge that no path from the input through
 * non-`none` edges reaches, or that reaches no output, leaves no trace. A cell whose output is zero
 * is '#'.
 *
 * Why an operation on zeros counts as zero: an average pool of zeros is zero, and a convolution of
 * zeros is its BatchNorm's bias, a constant; in the table such cells train like their zero twins
 * (`#+(#+#)@nor_conv_3x3+0` 86.60 against `#+#+0` 86.56, CIFAR-10). Like the benchmark, a node read
 * by two edges is counted twice, as if it were two nodes (a subtree expansion; the NASNet key keeps
 * such sharing apart): NAS-Bench-201's own notion of "the same cell" does so, and we follow it.
 *
 * Against the table's UniqueString this is coarser, never finer: each of its 6,466 classes lies in
 * one of our 4,930 (test/spaces/nas-bench-201/space.test.ts); ours merges only what it writes apart for
 * the reasons given at nb201UniqueString, and the cells it merges agree in accuracy to the seeds'
 * noise.
 */
export function nb201Key(cell: Nb201Cell): string {
  const nodes: string[][] = [['0']];
  for (let j = 1; j < 4; j++) {
    const terms: string[] = [];
    NB201_EDGES.forEach(([i, to], k) => {
      const op = cell.edges[k];
      if (to !== j || op === 'none' || nodes[i].length === 0) return;
      if (op === 'skip_connect') terms.push(...nodes[i]);
      else terms.push(`(${nodes[i].join('+')})@${op}`);
    });
    nodes.push(terms.sort());
  }
  return nodes[3].length > 0 ? nodes[3].join('+') : '#';
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
  key: (cell) => nb201Key(validate(cell)),
  validate,
  /** The benchmark's own string, under `arch`. */
  toJSON: (cell) => ({ arch: formatNb201(cell) }),
  describe: (cell) => [formatNb201(cell)],
};
