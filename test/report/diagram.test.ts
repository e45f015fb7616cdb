import { describe, expect, it } from 'vitest';
import { inputName } from '../../src/spaces/nasnet/format.js';
import { sampleCell } from '../../src/spaces/nasnet/sample.js';
import type { Cell } from '../../src/spaces/nasnet/types.js';
import { cellDot, dotString, placeholderDot, renderDot } from '../../src/report/diagram.js';
import { Rng } from '../../src/util/random.js';
import { EXAMPLE } from '../spaces/nasnet/helpers.js';

const unescapeHtml = (s: string) =>
  s
    .replace(/&#45;/g, '-')
    .replace(/&gt;/g, '>')
    .replace(/&lt;/g, '<')
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'");

/** Graphviz's SVG: each node and edge is a <g class="node|edge"> with a <title> (its id) and <text>s. */
function parseGraph(svg: string) {
  const nodes = new Map<string, string[]>();
  const edges: string[] = [];
  for (const m of svg.matchAll(/<g id="[^"]*" class="(node|edge)">\s*<title>([^<]*)<\/title>([\s\S]*?)<\/g>/g)) {
    const title = unescapeHtml(m[2]);
    if (m[1] === 'edge') edges.push(title);
    else
      nodes.set(
        title,
        [...m[3].matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((t) => unescapeHtml(t[1])),
      );
  }
  return { nodes, edges };
}

async function expectDrawn(cell: Cell) {
  const svg = await renderDot(cellDot(cell, 'a cell'));
  expect(svg.startsWith('<svg')).toBe(true);
  const { nodes, edges } = parseGraph(svg);
  const used = new Set(cell.flatMap((b) => b.inputs));
  expect(nodes.get('in0')?.[0]).toBe('h[i-1]');
  expect(nodes.get('in1')?.[0]).toBe('h[i]');
  for (const i of [0, 1]) if (!used.has(i)) expect(nodes.get(`in${i}`)).toContain('(unused)');
  expect(nodes.get('out')).toEqual(['concat', '(cell output)']);
  const expectedEdges: string[] = [];
  cell.forEach((block, b) => {
    expect(nodes.get(`b${b}`)).toEqual([block.combine]);
    block.ops.forEach((op, j) => {
      expect(nodes.get(`b${b}_op${j}`)).toEqual([op]);
      const from = block.inputs[j] < 2 ? `in${block.inputs[j]}` : `b${block.inputs[j] - 2}`;
      expectedEdges.push(`${from}->b${b}_op${j}`, `b${b}_op${j}->b${b}`);
    });
    // Every block output goes into the cell's final concat, also one that other blocks read.
    expectedEdges.push(`b${b}->out`);
  });
  expect(edges.sort()).toEqual(expectedEdges.sort());
  expect(nodes.size).toBe(2 + 3 * cell.length + 1);
  return { svg, nodes };
}

describe('cell diagrams', () => {
  it('draws the inputs, every block op and combine node, and the final concat of a flat cell', async () => {
    await expectDrawn(EXAMPLE.normal);
    await expectDrawn(EXAMPLE.reduction);
  });

  it('draws hierarchical cells, whose blocks read earlier blocks', async () => {
    const rng = new Rng(11);
    let sawReference = false;
    for (let k = 0; k < 6; k++) {
      const cell = sampleCell({ blocks: 5, hierarchical: true }, rng);
      sawReference ||= cell.some((b) => b.inputs.some((i) => i >= 2));
      await expectDrawn(cell);
    }
    expect(sawReference).toBe(true);
    expect(inputName(2)).toBe('b0');
  });

  it('greys out an input that no block reads', async () => {
    const cell: Cell = [{ inputs: [1, 1], ops: ['sep_3x3', 'identity'], combine: 'add' }];
    const { nodes } = await expectDrawn(cell);
    expect(nodes.get('in0')).toEqual(['h[i-1]', '(unused)']);
  });

  it("refuses a malformed cell with the validator's message", () => {
    expect(() => cellDot([{ inputs: [0, 7], ops: ['sep_3x3', 'identity'], combine: 'add' }], 't')).toThrow(/inputs/);
    expect(() => cellDot([{ inputs: [0, 1], ops: ['conv_9x9' as never, 'identity'], combine: 'add' }], 't')).toThrow(/conv_9x9/);
  });

  it('escapes titles so any text is drawn as written', async () => {
    expect(dotString('a "b" \\ c\nd')).toBe('"a \\"b\\" \\\\ c\\nd"');
    const title = 'run "x" \\ <y> & z';
    const svg = await renderDot(placeholderDot(title, 'nothing "here"'));
    const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => unescapeHtml(m[1]));
    expect(texts).toContain(title);
    expect(texts).toContain('nothing "here"');
  });
});
