import { describe, expect, it } from 'vitest';
import { formatCells, type CellPair } from '../../../src/spaces/nasnet/index.js';
import { EXAMPLE, clone } from './helpers.js';

describe('formatCells', () => {
  it('prints one aligned line per block, add as +, concat as a call', () => {
    const lines = formatCells(EXAMPLE).split('\n');
    expect(lines).toHaveLength(10);
    expect(lines[0]).toBe('normal    b0: sep_3x3(h[i-1]) + identity(h[i])');
    expect(lines[2]).toBe('normal    b2: concat(max_3x3(h[i-1]), sep_3x3(h[i-1]))');
    expect(lines[5]).toBe('reduction b0: sep_5x5(h[i]) + max_3x3(h[i-1])');
    expect(lines[9]).toBe('reduction b4: concat(identity(h[i]), sep_5x5(h[i-1]))');
  });

  it('names block references in hierarchical cells', () => {
    const pair: CellPair = clone(EXAMPLE);
    pair.normal[3].inputs = [2, 4];
    expect(formatCells(pair).split('\n')[3]).toBe('normal    b3: sep_7x7(b0) + identity(b2)');
  });
});
