// A cell drawn as the network it defines: the two cell inputs h[i-1] and h[i], each block's two
// operations and its combine node, and the final concat of every block output (child-spec: the cell
// output concatenates all block outputs, including those other blocks read, then a 1x1 conv).
// The graph is written in DOT and laid out by Graphviz compiled to wasm.
import { NB201_EDGES, type Nb201Cell } from '../spaces/nas-bench-201/space.js';
import { inputName } from '../spaces/nasnet/format.js';
import type { Cell, Operation } from '../spaces/nasnet/types.js';
import { validateCell } from '../spaces/nasnet/validate.js';
import { loadGraphviz } from './engines.js';

/** A DOT quoted string: backslashes and quotes escaped, newlines as Graphviz's centred line break. */
export function dotString(text: string): string {
  return '"' + text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n') + '"';
}

const OP_FILL: Record<Operation, string> = {
  sep_3x3: '#c6dbef',
  sep_5x5: '#9ecae1',
  sep_7x7: '#6baed6',
  avg_3x3: '#c7e9c0',
  max_3x3: '#a1d99b',
  identity: '#eeeeee',
};

const HEADER = [
  'graph [rankdir=TB, fontname="Helvetica,sans-Serif", fontsize=15, labelloc=t, nodesep=0.25, ranksep=0.4, pad=0.2, bgcolor=white];',
  'node [fontname="Helvetica,sans-Serif", fontsize=12, height=0.35];',
  'edge [color="#555555", arrowsize=0.7];',
];

/**
 * The DOT source of `cell`; `title` heads the drawing. Throws on a malformed cell, naming the
 * problem under `name` (e.g. `normal[2].ops[0]`).
 */
export function cellDot(cell: Cell, title: string, name = 'cell'): string {
  // The validator accepts flat and hierarchical cells alike; hierarchical is the looser of the two.
  validateCell(cell, name, true);
  const used = new Set(cell.flatMap((b) => b.inputs));
  const lines = ['digraph cell {', ...HEADER.map((l) => '  ' + l), `  label=${dotString(title)};`];
  for (const i of [0, 1]) {
    // An input no block reads gets no layers in the child (build.ts); it is drawn greyed out.
    const style = used.has(i) ? 'style="rounded,filled", fillcolor="#fdd0a2"' : 'style="rounded,dashed", fontcolor="#999999", color="#999999"';
    const label = used.has(i) ? inputName(i) : `${inputName(i)}\n(unused)`;
    lines.push(`  in${i} [label=${dotString(label)}, shape=box, ${style}];`);
  }
  lines.push('  { rank=source; in0; in1; }');
  cell.forEach((block, b) => {
    lines.push(`  subgraph cluster_b${b} {`, `    label=${dotString(`b${b}`)}; fontsize=11; style="rounded,dashed"; color="#bbbbbb";`);
    block.ops.forEach((op, j) => {
      lines.push(`    b${b}_op${j} [label=${dotString(op)}, shape=box, style=filled, fillcolor=${dotString(OP_FILL[op] ?? '#ffffff')}];`);
    });
    const combine = block.combine === 'add' ? 'add' : 'concat';
    lines.push(`    b${b} [label=${dotString(combine)}, shape=ellipse, style=filled, fillcolor="#fff7bc"];`);
    lines.push(`    b${b}_op0 -> b${b}; b${b}_op1 -> b${b};`, '  }');
    block.inputs.forEach((input, j) => {
      const from = input < 2 ? `in${input}` : `b${input - 2}`;
      lines.push(`  ${from} -> b${b}_op${j};`);
    });
  });
  lines.push(`  out [label=${dotString('concat\n(cell output)')}, shape=box, style="rounded,filled", fillcolor="#fdd0a2"];`);
  lines.push('  { rank=sink; out; }');
  cell.forEach((_, b) => lines.push(`  b${b} -> out;`));
  lines.push('}');
  return lines.join('\n');
}

/** A NAS-Bench-201 cell: nodes 0 (input) to 3 (output), one arrow per edge that is not `none`. */
export function nb201Dot(cell: Nb201Cell, title: string): string {
  const lines = ['digraph cell {', ...HEADER.map((l) => '  ' + l), `  label=${dotString(title)};`];
  for (let n = 0; n < 4; n++) {
    const label = n === 0 ? 'node 0\n(input)' : n === 3 ? 'node 3\n(output)' : `node ${n}`;
    const fill = n === 0 || n === 3 ? '#fdd0a2' : '#deebf7';
    lines.push(`  n${n} [label=${dotString(label)}, shape=box, style="rounded,filled", fillcolor="${fill}"];`);
  }
  NB201_EDGES.forEach(([a, b], k) => {
    const op = cell.edges[k];
    if (op !== 'none') lines.push(`  n${a} -> n${b} [label=${dotString(op)}];`);
  });
  lines.push('}');
  return lines.join('\n');
}

/** A drawing that says why there is no cell to draw. */
export function placeholderDot(title: string, message: string): string {
  return [
    'digraph cell {',
    ...HEADER.map((l) => '  ' + l),
    `  label=${dotString(title)};`,
    `  note [label=${dotString(message)}, shape=plaintext, fontsize=13];`,
    '}',
  ].join('\n');
}

/** Lays out DOT with Graphviz and returns the SVG document, without its XML prolog and DTD reference. */
export async function renderDot(dot: string): Promise<string> {
  const graphviz = await loadGraphviz();
  const svg = graphviz.dot(dot);
  const start = svg.indexOf('<svg');
  return start >= 0 ? svg.slice(start) : svg;
}
