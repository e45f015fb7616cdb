import { describe, expect, it } from 'vitest';
import { LiveReport } from '../../src/report/live-report.js';

describe('LiveReport', () => {
  it('collapses requests made during a pass into one more pass, and waits for it in settle()', async () => {
    const passes: number[] = [];
    let release: () => void = () => {};
    const write = async () => {
      passes.push(passes.length + 1);
      await new Promise<void>((r) => (release = r));
    };
    // share 1: no waiting between passes (the waiting is the next test's)
    const live = new LiveReport('run', () => {}, write, { share: 1 });
    live.request();
    live.request();
    live.request();
    expect(passes).toEqual([1]);
    release();
    await new Promise((r) => setTimeout(r, 0));
    expect(passes).toEqual([1, 2]); // the two requests during pass 1 became one pass
    const settled = live.settle();
    release();
    await settled;
    expect(passes).toEqual([1, 2]);
    live.request(); // idle again: a new request starts a pass at once
    expect(passes).toEqual([1, 2, 3]);
    release();
    await live.settle();
  });

  it('warns once about a report that keeps failing, and keeps accepting requests', async () => {
    const warnings: string[] = [];
    let calls = 0;
    const live = new LiveReport(
      'run',
      (m) => warnings.push(m),
      async () => {
        calls++;
        throw new Error('disk full');
      },
      { share: 1 },
    );
    for (let i = 0; i < 3; i++) {
      live.request();
      await live.settle();
    }
    expect(calls).toBe(3);
    expect(warnings).toEqual(['report not updated: disk full (the search goes on; run `nascent report` to retry)']);
  });
});

describe('LiveReport at its share of the time', () => {
  it('waits after a pass until the pass is at most `share` of the time since it began; settle() writes a waiting request at once', async () => {
    let clock = 0;
    const passes: number[] = [];
    const write = async () => {
      passes.push(clock);
      clock += 100; // each pass takes 100 ms
    };
    const live = new LiveReport('run', () => {}, write, { share: 0.1, now: () => clock });
    live.request();
    await live.settle();
    expect(passes).toEqual([0]);
    clock = 500; // 500 ms after the first pass began: the next may begin at 1000
    live.request();
    live.request();
    expect(passes).toEqual([0]);
    await live.settle(); // the end of a search: written now, not at 1000
    expect(passes).toEqual([0, 500]);
    clock = 2000; // past 500 + 100 / 0.1: at once again
    live.request();
    await live.settle();
    expect(passes).toEqual([0, 500, 2000]);
  });
});
