// One line per block for terminals and logs: reads like the network, e.g.
//   normal    b0: sep_3x3(h[i-1]) + identity(h[i])
//   reduction b3: concat(max_3x3(h[i]), sep_5x5(b1))

import { CELL_KINDS, type Block, type CellPair } from './types.js';

/** The name of an input: the two cell inputs, or `bK` for block K of the same cell. */
export function inputName(i: number): string {
  return i === 0 ? 'h[i-1]' : i === 1 ? 'h[i]' : `b${i - 2}`;
}

export function formatBlock(block: Block): string {
  const [x, y] = [0, 1].map((k) => `${block.ops[k]}(${inputName(block.inputs[k])})`);
  return block.combine === 'add' ? `${x} + ${y}` : `concat(${x}, ${y})`;
}

export function formatCells(pair: CellPair): string {
  const width = Math.max(...CELL_KINDS.map((k) => k.length));
  const lines: string[] = [];
  for (const kind of CELL_KINDS) {
    pair[kind].forEach((block, b) => lines.push(`${kind.padEnd(width)} b${b}: ${formatBlock(block)}`));
  }
  return lines.join('\n');
}
