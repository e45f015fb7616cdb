import { describe, expect, it } from 'vitest';
import { MovingBaseline } from '../../../src/strategies/controller/baseline.js';

describe('MovingBaseline', () => {
  it('is the initial value until an accuracy is pushed', () => {
    const b = new MovingBaseline();
    expect(b.value()).toBe(0.1);
    expect(b.reward(0.6)).toBeCloseTo(0.5, 12);
    expect(new MovingBaseline({ initial: 0.3 }).reward(0.3)).toBe(0);
  });

  it('scores an accuracy against the previous episodes only', () => {
    const b = new MovingBaseline({ window: 5 });
    b.push(0.2);
    b.push(0.4);
    // Were the current 0.9 included, the baseline would be 0.5 and the reward 0.4.
    expect(b.reward(0.9)).toBeCloseTo(0.6, 12);
    expect(b.value()).toBeCloseTo(0.3, 12); // reward() does not push
    b.push(0.9);
    expect(b.value()).toBeCloseTo(0.5, 12);
  });

  it('averages only the last `window` accuracies', () => {
    const b = new MovingBaseline({ window: 3 });
    for (const a of [1, 1, 1, 0.1, 0.2, 0.3]) b.push(a);
    expect(b.size).toBe(3);
    expect(b.value()).toBeCloseTo(0.2, 12);
    b.push(0.7);
    expect(b.value()).toBeCloseTo(0.4, 12);
  });

  it('round-trips its state through JSON', () => {
    const b = new MovingBaseline({ window: 4, initial: 0.2 });
    for (const a of [0.3, 0.5, 0.1, 0.8, 0.6]) b.push(a);
    const copy = MovingBaseline.fromState(JSON.parse(JSON.stringify(b.getState())));
    expect(copy.getState()).toEqual(b.getState());
    copy.push(0.9);
    b.push(0.9);
    expect(copy.value()).toBe(b.value());
    expect(copy.reward(0.55)).toBe(b.reward(0.55));

    const other = new MovingBaseline();
    other.setState(b.getState());
    expect(other.window).toBe(4);
    expect(other.initial).toBe(0.2);
    expect(other.value()).toBe(b.value());
  });

  it('rejects bad settings and non-finite accuracies', () => {
    expect(() => new MovingBaseline({ window: 0 })).toThrow(/window/);
    expect(() => new MovingBaseline({ window: 2.5 })).toThrow(/window/);
    const b = new MovingBaseline();
    expect(() => b.push(Number.NaN)).toThrow(/finite/);
    expect(() => b.reward(Infinity)).toThrow(/finite/);
    expect(() => b.setState({ window: 2, initial: 0, history: [0.1, 0.2, 0.3] })).toThrow(/history has 3 entries/);
  });
});
